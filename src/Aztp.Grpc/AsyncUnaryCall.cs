using System.Runtime.CompilerServices;
using Aztp.Grpc.Internal;

namespace Aztp.Grpc;

/// <summary>A unary call in progress. Await it (or <see cref="ResponseAsync"/>) for the response; dispose to cancel.</summary>
/// <typeparam name="TResponse">The response type.</typeparam>
public sealed class AsyncUnaryCall<TResponse> : IDisposable
{
    private readonly ClientCall _call;

    internal AsyncUnaryCall(ClientCall call, Task<TResponse> response)
    {
        _call = call;
        ResponseAsync = response;
    }

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
