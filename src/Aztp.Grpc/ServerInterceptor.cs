namespace Aztp.Grpc;

/// <summary>
/// A link in the server's ordered interceptor chain. It runs after the request metadata (and, for unary and
/// server-streaming calls, the request message) is read, and before the handler. It can inspect
/// <see cref="ServerCallContext"/>, end the call early by throwing <see cref="RpcException"/> (or returning without
/// calling the continuation after setting <see cref="ServerCallContext.Status"/>), and observe the outcome of the
/// rest of the chain.
/// </summary>
public abstract class ServerInterceptor
{
    /// <summary>Intercepts one call.</summary>
    /// <param name="context">The call.</param>
    /// <param name="continuation">Runs the rest of the chain and then the handler.</param>
    /// <returns>A task that completes when this link is done.</returns>
    public abstract Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> continuation);
}
