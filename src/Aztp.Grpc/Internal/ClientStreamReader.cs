namespace Aztp.Grpc.Internal;

/// <summary>The response stream of a server-streaming or duplex call.</summary>
internal sealed class ClientStreamReader<T>(ClientCall call) : IAsyncStreamReader<T>
    where T : class
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var message = await call.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        _current = (T?)message;
        return message is not null;
    }
}
