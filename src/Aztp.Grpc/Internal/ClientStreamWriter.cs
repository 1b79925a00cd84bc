using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>The request stream of a client-streaming or duplex call.</summary>
internal sealed class ClientStreamWriter<T>(ClientCall call) : IClientStreamWriter<T>
    where T : class, IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return call.WriteAsync(message, cancellationToken);
    }

    public Task CompleteAsync() => call.CompleteRequestAsync();
}
