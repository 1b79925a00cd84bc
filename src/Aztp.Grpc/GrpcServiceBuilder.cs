using Aztp.Grpc.Internal;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Aztp.Grpc;

/// <summary>Builds a <see cref="GrpcServiceDefinition"/> by registering one handler per method.</summary>
public sealed class GrpcServiceBuilder
{
    private readonly List<ServerMethod> _methods = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Starts a service definition.</summary>
    /// <param name="serviceName">The fully qualified service name, e.g. <c>grpc.testing.TestService</c>.</param>
    public GrpcServiceBuilder(string serviceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        if (serviceName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A service name must not contain '/'.", nameof(serviceName));
        }

        ServiceName = serviceName;
    }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>Registers a unary method.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public GrpcServiceBuilder AddUnaryMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.Unary, async (call, request) => await handler((TRequest)request!, call.Context).ConfigureAwait(false));
        return this;
    }

    /// <summary>Registers a server-streaming method.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public GrpcServiceBuilder AddServerStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ServerStreaming, async (call, request) =>
        {
            await handler((TRequest)request!, new ServerStreamWriter<TResponse>(call), call.Context).ConfigureAwait(false);
            return null;
        });
        return this;
    }

    /// <summary>Registers a client-streaming method.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public GrpcServiceBuilder AddClientStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ClientStreaming, async (call, _) => await handler(new ServerStreamReader<TRequest>(call), call.Context).ConfigureAwait(false));
        return this;
    }

    /// <summary>Registers a bidirectional-streaming method.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public GrpcServiceBuilder AddDuplexStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.DuplexStreaming, async (call, _) =>
        {
            await handler(new ServerStreamReader<TRequest>(call), new ServerStreamWriter<TResponse>(call), call.Context).ConfigureAwait(false);
            return null;
        });
        return this;
    }

    /// <summary>
    /// Registers a handler for a method given by its protobuf descriptor. The delegate must have the handler shape of
    /// the method's kind, e.g. <c>Func&lt;SimpleRequest, ServerCallContext, Task&lt;SimpleResponse&gt;&gt;</c> for unary.
    /// </summary>
    /// <param name="method">The method descriptor; its service must be this builder's service.</param>
    /// <param name="handler">The handler delegate.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The delegate's type does not match the method.</exception>
    public GrpcServiceBuilder AddMethod(MethodDescriptor method, Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        DescriptorBinder.Register(this, method, handler);
        return this;
    }

    /// <summary>Finishes the definition.</summary>
    /// <returns>The definition.</returns>
    public GrpcServiceDefinition Build() => new(ServiceName, _methods.ToArray());

    private void Add<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected, Func<ServerCall, IMessage?, Task<IMessage?>> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Method '{method.FullName}' is {method.Type}, not {expected}.", nameof(method));
        }

        if (!string.Equals(method.ServiceName, ServiceName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Method '{method.FullName}' belongs to service '{method.ServiceName}', not '{ServiceName}'.", nameof(method));
        }

        if (!_names.Add(method.Name))
        {
            throw new ArgumentException($"Method '{method.FullName}' is already registered.", nameof(method));
        }

        _methods.Add(new ServerMethod(ServiceName, method.Name, method.Type, method.RequestParser, invoker));
    }
}
