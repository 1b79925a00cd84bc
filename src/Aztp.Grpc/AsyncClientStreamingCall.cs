using System.Runtime.CompilerServices;
using Aztp.Grpc.Internal;
using Google.Protobuf;

namespace Aztp.Grpc;

/// <summary>
/// A client-streaming call in progress: write to <see cref="RequestStream"/>, complete it, then await the response.
/// Dispose to cancel.
/// </summary>
/// <typeparam name="TRequest">The request type.</typeparam>
/// <typeparam name="TResponse">The response type.</typeparam>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : IDisposable
    where TRequest : class, IMessage<TRequest>
{
    private readonly ClientCall _call;

    internal AsyncClientStreamingCall(ClientCall call, Task<TResponse> response)
    {
        _call = call;
        RequestStream = new ClientStreamWriter<TRequest>(call);
        ResponseAsync = response;
    }

    /// <summary>The request stream.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>The response; faults with <see cref="RpcException"/> when the status is not OK.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>The response headers (custom metadata only).</summary>
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    /// <summary>The final status. Valid once the call is complete.</summary>
    /// <returns>The status.</returns>
    /// <exception cref="InvalidOperationException">The call is not complete.</exception>
    public Status GetStatus() => _call.GetStatus();

    /// <summary>The trailers. Valid once the call is complete.</summary>
    /// <returns>The trailers.</returns>
    /// <exception cref="InvalidOperationException">The call is not complete.</exception>
    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Lets the call be awaited directly.</summary>
    /// <returns>The awaiter of <see cref="ResponseAsync"/>.</returns>
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    /// <summary>Cancels the call if it is still running and releases its resources.</summary>
    public void Dispose() => _call.Dispose();
}
