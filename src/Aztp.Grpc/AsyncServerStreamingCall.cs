using Aztp.Grpc.Internal;

namespace Aztp.Grpc;

/// <summary>A server-streaming call in progress. Read <see cref="ResponseStream"/> to its end; dispose to cancel.</summary>
/// <typeparam name="TResponse">The response type.</typeparam>
public sealed class AsyncServerStreamingCall<TResponse> : IDisposable
    where TResponse : class
{
    private readonly ClientCall _call;

    internal AsyncServerStreamingCall(ClientCall call)
    {
        _call = call;
        ResponseStream = new ClientStreamReader<TResponse>(call);
    }

    /// <summary>The response stream; its end raises <see cref="RpcException"/> when the status is not OK.</summary>
    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    /// <summary>The response headers (custom metadata only).</summary>
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    /// <summary>The final status. Valid once the response stream has ended.</summary>
    /// <returns>The status.</returns>
    /// <exception cref="InvalidOperationException">The call is not complete.</exception>
    public Status GetStatus() => _call.GetStatus();

    /// <summary>The trailers. Valid once the response stream has ended.</summary>
    /// <returns>The trailers.</returns>
    /// <exception cref="InvalidOperationException">The call is not complete.</exception>
    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Cancels the call if it is still running and releases its resources.</summary>
    public void Dispose() => _call.Dispose();
}
