namespace Aztp.Grpc;

/// <summary>Writes the request stream of a client-streaming or duplex call.</summary>
/// <typeparam name="T">The request message type.</typeparam>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>Half-closes the request stream: tells the server no more messages will follow.</summary>
    /// <returns>A task that completes when the end of stream is handed to the transport.</returns>
    Task CompleteAsync();
}
