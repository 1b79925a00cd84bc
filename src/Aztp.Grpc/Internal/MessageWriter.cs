using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>Writes length-prefixed messages, compressing with gzip when asked.</summary>
internal static class MessageWriter
{
    /// <summary>Writes one framed message into a buffer writer.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message exceeds <paramref name="maxMessageSize"/>.</exception>
    public static void Write(IBufferWriter<byte> output, IMessage message, bool compress, int? maxMessageSize)
    {
        var size = message.CalculateSize();
        if (maxMessageSize is { } max && size > max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Sending message of {size} bytes exceeds the maximum of {max} bytes."));
        }

        var header = output.GetSpan(GrpcProtocol.HeaderSize);
        if (compress)
        {
            var raw = new ArrayBufferWriter<byte>(Math.Max(size, 1));
            message.WriteTo(raw);
            var compressed = GrpcProtocol.Compress(new ReadOnlySequence<byte>(raw.WrittenMemory));
            header[0] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)compressed.Length);
            output.Advance(GrpcProtocol.HeaderSize);
            output.Write(compressed);
        }
        else
        {
            header[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)size);
            output.Advance(GrpcProtocol.HeaderSize);
            message.WriteTo(output);
        }
    }

    /// <summary>Frames one message into a new array.</summary>
    public static byte[] ToArray(IMessage message, bool compress, int? maxMessageSize)
    {
        if (compress)
        {
            var buffer = new ArrayBufferWriter<byte>(message.CalculateSize() + GrpcProtocol.HeaderSize);
            Write(buffer, message, compress, maxMessageSize);
            return buffer.WrittenSpan.ToArray();
        }

        var size = message.CalculateSize();
        if (maxMessageSize is { } max && size > max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Sending message of {size} bytes exceeds the maximum of {max} bytes."));
        }

        var frame = new byte[GrpcProtocol.HeaderSize + size];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)size);
        message.WriteTo(frame.AsSpan(GrpcProtocol.HeaderSize));
        return frame;
    }
}
