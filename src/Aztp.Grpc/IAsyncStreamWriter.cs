namespace Aztp.Grpc;

/// <summary>Writes a stream of messages. Only one write may be pending at a time.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>Writes one message and flushes it to the peer.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    Task WriteAsync(T message, CancellationToken cancellationToken);
}
