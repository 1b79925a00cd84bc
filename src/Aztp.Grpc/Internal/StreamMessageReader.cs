using System.Buffers;
using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>
/// Reads length-prefixed messages from a response stream into one pooled buffer (the client's read path; lighter than
/// a pipe for the one-message-per-response common case). The size limit is checked on the prefix before buffering.
/// </summary>
internal sealed class StreamMessageReader(Stream stream, MessageParser parser, int maxMessageSize, string? encoding)
{
    private const int InitialSize = 4096;
    private readonly bool _gzip = encoding is not null && encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase);
    private byte[]? _buffer;
    private int _start;
    private int _end;

    public async ValueTask<IMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(InitialSize);
        while (true)
        {
            var available = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            if (MessageReader.TryParse(ref available, parser, maxMessageSize, _gzip, out var message, out _))
            {
                _start = _end - (int)available.Length;
                return message;
            }

            var length = MessageReader.PeekLength(_buffer.AsSpan(_start, _end - _start));
            if (length > Array.MaxLength - GrpcProtocol.HeaderSize)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message of {length} bytes is larger than this process can buffer."));
            }

            var needed = length < 0 ? GrpcProtocol.HeaderSize : GrpcProtocol.HeaderSize + (int)length;
            EnsureRoom(needed);
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                var leftover = _end - _start;

                // Only the reader touches the buffer, so it can go back to the pool at the end of the stream.
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
                _start = _end = 0;
                if (leftover == 0)
                {
                    return null;
                }

                throw new RpcException(new Status(StatusCode.Internal, "Incomplete message: the stream ended inside a length-prefixed message."));
            }

            _end += read;
        }
    }

    private void EnsureRoom(int needed)
    {
        var buffer = _buffer!;
        if (buffer.Length - _start >= needed && _end < buffer.Length)
        {
            return;
        }

        var target = buffer.Length >= needed ? buffer : ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
        var count = _end - _start;
        Buffer.BlockCopy(buffer, _start, target, 0, count);
        if (!ReferenceEquals(target, buffer))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _buffer = target;
        _start = 0;
        _end = count;
    }
}
