using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>
/// Reads length-prefixed messages (PROTOCOL-HTTP2: Compressed-Flag, Message-Length as 4-byte big-endian, Message)
/// from a pipe, enforcing the size limit before buffering a message body.
/// </summary>
internal sealed class MessageReader(PipeReader reader, MessageParser parser, int maxMessageSize, string? encoding)
{
    private readonly bool _gzip = encoding is not null && encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the last message read had the compressed flag set.</summary>
    public bool LastMessageCompressed { get; private set; }

    /// <summary>Reads the next message, or <see langword="null"/> at a clean end of stream.</summary>
    /// <exception cref="RpcException">INTERNAL for malformed framing or payload, RESOURCE_EXHAUSTED above the limit.</exception>
    public async ValueTask<IMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryParseMessage(ref buffer, out var message))
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var length = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (length == 0 && !result.IsCanceled)
                {
                    return null;
                }

                throw new RpcException(new Status(StatusCode.Internal, "Incomplete message: the stream ended inside a length-prefixed message."));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private bool TryParseMessage(ref ReadOnlySequence<byte> buffer, out IMessage? message)
    {
        var parsed = TryParse(ref buffer, parser, maxMessageSize, _gzip, out message, out var compressed);
        if (parsed)
        {
            LastMessageCompressed = compressed;
        }

        return parsed;
    }

    /// <summary>The length of the message whose prefix starts <paramref name="buffer"/>, or -1 when the prefix is incomplete.</summary>
    public static long PeekLength(ReadOnlySpan<byte> buffer) =>
        buffer.Length < GrpcProtocol.HeaderSize ? -1 : BinaryPrimitives.ReadUInt32BigEndian(buffer[1..]);

    /// <summary>Parses one message from the start of <paramref name="buffer"/> and slices it off; false when more bytes are needed.</summary>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, MessageParser parser, int maxMessageSize, bool gzip, out IMessage? message, out bool compressed)
    {
        message = null;
        compressed = false;
        if (buffer.Length < GrpcProtocol.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.HeaderSize];
        buffer.Slice(0, GrpcProtocol.HeaderSize).CopyTo(header);
        var flag = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (flag > 1)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Invalid compressed flag {flag} in a message prefix."));
        }

        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message of {length} bytes exceeds the maximum of {maxMessageSize} bytes."));
        }

        if (buffer.Length < GrpcProtocol.HeaderSize + length)
        {
            return false;
        }

        var payload = buffer.Slice(GrpcProtocol.HeaderSize, length);
        compressed = flag == 1;
        try
        {
            if (flag == 1)
            {
                // PROTOCOL-HTTP2: a compressed message without a grpc-encoding (or with identity) is an INTERNAL error.
                if (!gzip)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Received a compressed message but the stream has no grpc-encoding."));
                }

                message = parser.ParseFrom(GrpcProtocol.Decompress(payload, maxMessageSize));
            }
            else
            {
                message = parser.ParseFrom(payload);
            }
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize a message."));
        }

        buffer = buffer.Slice(payload.End);
        return true;
    }
}
