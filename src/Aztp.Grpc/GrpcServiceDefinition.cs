using System.Collections.ObjectModel;
using Aztp.Grpc.Internal;
using Google.Protobuf.Reflection;

namespace Aztp.Grpc;

/// <summary>A service ready to be mapped onto a server: its name and bound methods.</summary>
public sealed class GrpcServiceDefinition
{
    internal GrpcServiceDefinition(string serviceName, IList<ServerMethod> methods)
    {
        ServiceName = serviceName;
        Methods = new ReadOnlyCollection<ServerMethod>(methods);
        var names = new string[methods.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = methods[i].Name;
        }

        MethodNames = names;
    }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The names of the bound methods; calls to other methods of the service get UNIMPLEMENTED.</summary>
    public IReadOnlyList<string> MethodNames { get; }

    internal IReadOnlyList<ServerMethod> Methods { get; }

    /// <summary>Starts a definition of a service by explicit method registration.</summary>
    /// <param name="serviceName">The fully qualified service name.</param>
    /// <returns>The builder.</returns>
    public static GrpcServiceBuilder CreateBuilder(string serviceName) => new(serviceName);

    /// <summary>
    /// Binds a protobuf service to a handler object: each rpc of <paramref name="service"/> binds to the public method
    /// of <paramref name="implementation"/> with the rpc's name (or the name with an <c>Async</c> suffix) and the
    /// grpc-dotnet handler shape for its kind, e.g. <c>Task&lt;SimpleResponse&gt; UnaryCall(SimpleRequest, ServerCallContext)</c>.
    /// Rpcs without such a method answer UNIMPLEMENTED.
    /// </summary>
    /// <param name="service">The service descriptor, e.g. <c>TestReflection.Descriptor.Services[0]</c>.</param>
    /// <param name="implementation">The handler object.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentException">A method with an rpc's name has the wrong shape.</exception>
    public static GrpcServiceDefinition FromDescriptor(ServiceDescriptor service, object implementation)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(implementation);
        var builder = new GrpcServiceBuilder(service.FullName);
        foreach (var method in service.Methods)
        {
            var target = DescriptorBinder.FindHandler(implementation.GetType(), method);
            if (target is not null)
            {
                builder.AddMethod(method, DescriptorBinder.CreateDelegate(method, implementation, target));
            }
        }

        return builder.Build();
    }
}
