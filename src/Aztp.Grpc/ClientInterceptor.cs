namespace Aztp.Grpc;

/// <summary>
/// A link in the client's ordered interceptor chain: sees each call before it is sent (and may add metadata or end it
/// by throwing <see cref="RpcException"/>) and is told its final status.
/// </summary>
public abstract class ClientInterceptor
{
    /// <summary>Called before the call is sent.</summary>
    /// <param name="context">The call.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    /// <returns>A task that completes when the interceptor is done.</returns>
    public virtual ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Called once when the call has its final status. Must not throw.</summary>
    /// <param name="context">The call.</param>
    /// <param name="status">The final status.</param>
    public virtual void OnCallCompleted(ClientCallContext context, Status status)
    {
    }
}
