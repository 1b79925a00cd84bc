using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>The response stream of a server-streaming or duplex call.</summary>
internal sealed class ServerStreamWriter<T>(ServerCall call) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return call.WriteMessageAsync(message, cancellationToken);
    }
}
