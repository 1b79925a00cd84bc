using Aztp.Grpc;
using Aztp.Rpc.Internal;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Aztp.Rpc;

/// <summary>
/// Describes an agent for <see cref="AztpAgent.SecureConnect"/>: its name (the last segment of its SPIFFE ID) and
/// the gRPC services it serves, each method with the Cedar action that authorizes it.
/// </summary>
public sealed class AgentDefinition
{
    private readonly List<GrpcServiceDefinition> _services = [];
    private readonly Dictionary<string, MethodPolicy> _methods = new(StringComparer.Ordinal);

    /// <summary>Creates a definition for the agent <paramref name="name"/> (e.g. <c>finance</c>).</summary>
    /// <param name="name">The agent's name: one SPIFFE path segment of letters, digits, <c>.</c>, <c>-</c>, <c>_</c>.</param>
    /// <exception cref="ArgumentException">The name is empty or not a valid SPIFFE path segment.</exception>
    public AgentDefinition(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // Reuse the SPIFFE ID parser so an agent name is exactly what a SPIFFE path segment allows.
        if (!Identity.SpiffeId.TryParse("spiffe://example.org/" + name, out var id, out var rule) || id.Path != "/" + name)
        {
            throw new ArgumentException($"Agent name '{name}' is not a valid SPIFFE path segment: {Identity.SpiffeId.DescribeRule(rule)}.", nameof(name));
        }
        Name = name;
    }

    /// <summary>The agent's name.</summary>
    public string Name { get; }

    /// <summary>The services this agent serves.</summary>
    public IReadOnlyList<GrpcServiceDefinition> Services => _services;

    /// <summary>
    /// Adds a service bound from its .proto descriptor to a handler object (see
    /// <see cref="GrpcServiceDefinition.FromDescriptor"/>). Each method's Cedar action defaults to its name in
    /// kebab case (<c>CalculateTax</c> → <c>calculate-tax</c>); <paramref name="configure"/> can rename actions and
    /// expose request fields to the policy context.
    /// </summary>
    /// <param name="service">The service descriptor, e.g. <c>FinanceReflection.Descriptor.Services[0]</c>.</param>
    /// <param name="implementation">The handler object.</param>
    /// <param name="configure">Optional per-method policy settings.</param>
    /// <returns>This definition.</returns>
    public AgentDefinition AddService(ServiceDescriptor service, object implementation, Action<AgentServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(implementation);
        return AddService(GrpcServiceDefinition.FromDescriptor(service, implementation), configure);
    }

    /// <summary>
    /// Adds a service bound by hand with <see cref="GrpcServiceDefinition.CreateBuilder"/> (for services without a
    /// generated descriptor). Actions default to the kebab-case method name, as for descriptor-bound services.
    /// </summary>
    /// <param name="service">The service definition.</param>
    /// <param name="configure">Optional per-method policy settings.</param>
    /// <returns>This definition.</returns>
    public AgentDefinition AddService(GrpcServiceDefinition service, Action<AgentServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        var options = new AgentServiceOptions(service.ServiceName, service.MethodNames);
        configure?.Invoke(options);
        foreach (var method in service.MethodNames)
        {
            var fullMethod = "/" + service.ServiceName + "/" + method;
            _methods[fullMethod] = options.PolicyFor(method).ForMethod(fullMethod);
        }
        _services.Add(service);
        return this;
    }

    internal MethodPolicy PolicyFor(string fullMethod) =>
        _methods.TryGetValue(fullMethod, out var policy) ? policy : new MethodPolicy(MethodNames.ToAction(fullMethod), null).ForMethod(fullMethod);
}
