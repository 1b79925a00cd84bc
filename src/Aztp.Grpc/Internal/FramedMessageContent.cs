using System.Net;

namespace Aztp.Grpc.Internal;

/// <summary>Request content of a unary or server-streaming call: exactly one framed message.</summary>
internal sealed class FramedMessageContent : HttpContent
{
    private readonly byte[] _frame;

    public FramedMessageContent(byte[] frame)
    {
        _frame = frame;
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_frame).AsTask();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_frame, cancellationToken).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = _frame.Length;
        return true;
    }
}
