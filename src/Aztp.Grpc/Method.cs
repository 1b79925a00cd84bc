using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Aztp.Grpc;

/// <summary>Describes one gRPC method: its kind, service, name and the protobuf messages it exchanges.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>Creates a method description.</summary>
    /// <param name="type">The kind of method.</param>
    /// <param name="serviceName">The fully qualified service name, e.g. <c>grpc.testing.TestService</c>.</param>
    /// <param name="name">The method name, e.g. <c>UnaryCall</c>.</param>
    /// <param name="requestParser">The parser of requests.</param>
    /// <param name="responseParser">The parser of responses.</param>
    public Method(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(responseParser);
        if (serviceName.Contains('/', StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("Service and method names must not contain '/'.", nameof(name));
        }

        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
    }

    /// <summary>The kind of method.</summary>
    public MethodType Type { get; }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The method name.</summary>
    public string Name { get; }

    /// <summary>The HTTP/2 path of the method: <c>/service/method</c>.</summary>
    public string FullName { get; }

    /// <summary>The parser of requests.</summary>
    public MessageParser<TRequest> RequestParser { get; }

    /// <summary>The parser of responses.</summary>
    public MessageParser<TResponse> ResponseParser { get; }

    /// <summary>Creates a method description from a protobuf method descriptor.</summary>
    /// <param name="descriptor">The descriptor, e.g. <c>TestReflection.Descriptor.Services[0].Methods[1]</c>.</param>
    /// <exception cref="ArgumentException">The descriptor's message types are not <typeparamref name="TRequest"/> and <typeparamref name="TResponse"/>.</exception>
    public Method(MethodDescriptor descriptor)
        : this(
            Internal.GrpcProtocol.GetMethodType(CheckTypes(descriptor)),
            descriptor.Service.FullName,
            descriptor.Name,
            (MessageParser<TRequest>)descriptor.InputType.Parser,
            (MessageParser<TResponse>)descriptor.OutputType.Parser)
    {
    }

    private static MethodDescriptor CheckTypes(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"Method '{descriptor.FullName}' exchanges {descriptor.InputType.ClrType?.Name} -> {descriptor.OutputType.ClrType?.Name}, not {typeof(TRequest).Name} -> {typeof(TResponse).Name}.",
                nameof(descriptor));
        }

        return descriptor;
    }
}
