using Aztp.Grpc.Internal;
using Google.Protobuf;

namespace Aztp.Grpc;

/// <summary>A bidirectional-streaming call in progress. Dispose to cancel.</summary>
/// <typeparam name="TRequest">The request type.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : IDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class
{
    private readonly ClientCall _call;

    internal AsyncDuplexStreamingCall(ClientCall call)
    {
        _call = call;
        RequestStream = new ClientStreamWriter<TRequest>(call);
        ResponseStream = new ClientStreamReader<TResponse>(call);
    }

    /// <summary>The request stream.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

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
