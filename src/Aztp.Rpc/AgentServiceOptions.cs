using Aztp.Rpc.Internal;
using Google.Protobuf;

namespace Aztp.Rpc;

/// <summary>Per-method policy settings of one service: the Cedar action name and the request fields the policy sees.</summary>
public sealed class AgentServiceOptions
{
    private readonly string _serviceName;
    private readonly IReadOnlyList<string> _methods;
    private readonly Dictionary<string, MethodPolicy> _policies = new(StringComparer.Ordinal);

    internal AgentServiceOptions(string serviceName, IReadOnlyList<string> methods)
    {
        _serviceName = serviceName;
        _methods = methods;
    }

    /// <summary>Sets the Cedar action of a method (e.g. <c>Method("CalculateTax", "calculate-tax")</c>).</summary>
    /// <param name="rpcName">The rpc name as in the .proto file.</param>
    /// <param name="action">The action id used in policies: <c>Action::"&lt;action&gt;"</c>.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The service has no such rpc, or the action is empty.</exception>
    public AgentServiceOptions Method(string rpcName, string action)
    {
        Check(rpcName);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        _policies[rpcName] = new MethodPolicy(action, null);
        return this;
    }

    /// <summary>
    /// Sets the Cedar action of a method and exposes request fields to the policy context, e.g.
    /// <c>Method&lt;TaxRequest&gt;("CalculateTax", "calculate-tax", r =&gt; [new("amount", r.Amount)])</c> for
    /// <c>when { context.amount &lt; 10000 }</c>. Values may be strings, booleans, integers, IP addresses or
    /// <see cref="DateTimeOffset"/>. The attributes are read only when the policies deciding the call read
    /// <c>context</c> (<see cref="Aztp.Policy.PolicySet.ReadsContext"/>); then a value Cedar cannot represent, or a reader
    /// that throws, denies the call.
    /// </summary>
    /// <typeparam name="TRequest">The rpc's request message type.</typeparam>
    /// <param name="rpcName">The rpc name as in the .proto file.</param>
    /// <param name="action">The action id used in policies.</param>
    /// <param name="attributes">Reads the exposed attributes from a request (never the whole payload).</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The service has no such rpc, or the action is empty.</exception>
    public AgentServiceOptions Method<TRequest>(string rpcName, string action, Func<TRequest, IEnumerable<KeyValuePair<string, object?>>> attributes)
        where TRequest : IMessage
    {
        Check(rpcName);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(attributes);
        _policies[rpcName] = new MethodPolicy(action, message => message is TRequest request
            ? attributes(request)
            : throw new InvalidOperationException($"The request of {rpcName} is not a {typeof(TRequest).Name}."));
        return this;
    }

    internal MethodPolicy PolicyFor(string rpcName) =>
        _policies.TryGetValue(rpcName, out var policy) ? policy : new MethodPolicy(MethodNames.ToAction(rpcName), null);

    private void Check(string rpcName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rpcName);
        if (!_methods.Contains(rpcName))
        {
            throw new ArgumentException($"Service {_serviceName} has no rpc named '{rpcName}'; its rpcs are: {string.Join(", ", _methods)}.", nameof(rpcName));
        }
    }
}
