namespace Aztp.Grpc.Internal;

/// <summary>The request stream of a client-streaming or duplex call.</summary>
internal sealed class ServerStreamReader<T>(ServerCall call) : IAsyncStreamReader<T>
    where T : class
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var message = await call.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        _current = (T?)message;
        return message is not null;
    }
}
