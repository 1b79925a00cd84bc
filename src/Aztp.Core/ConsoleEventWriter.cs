using System.Buffers;
using System.Text.Json;

namespace Aztp.Core;

/// <summary>
/// Writes each event as exactly one line <c>[AZTP:EVENT] {canonical json}\n</c>, so
/// <c>grep '\[AZTP:EVENT\]' | sed 's/^\[AZTP:EVENT\] //' | jq .</c> works. Lines of a batch are grouped into writes
/// of at most <see cref="MaxWriteBytes"/> that end on a line boundary: a pipe writes that much atomically (POSIX
/// PIPE_BUF), so lines from several monitors or threads sharing standard output never interleave mid-line.
/// </summary>
public sealed class ConsoleEventWriter : IBatchSecurityEventHandler, IDisposable
{
    /// <summary>The prefix of every console line.</summary>
    public const string Prefix = "[AZTP:EVENT] ";

    /// <summary>The largest single write: POSIX PIPE_BUF, the size a pipe writes atomically.</summary>
    public const int MaxWriteBytes = 4096;

    private static readonly byte[] PrefixBytes = "[AZTP:EVENT] "u8.ToArray();
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly Utf8JsonWriter _json;

    /// <summary>Creates a writer to a stream (standard output when <see langword="null"/>).</summary>
    public ConsoleEventWriter(Stream? output = null)
    {
        _output = output ?? Console.OpenStandardOutput();
        _json = new Utf8JsonWriter(_buffer, SecurityEventJson.WriterOptions);
    }

    /// <inheritdoc/>
    public string Name => "console";

    /// <inheritdoc/>
    public int MaxBatchSize => 256;

    /// <inheritdoc/>
    public async ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        await AppendAsync(securityEvent, cancellationToken).ConfigureAwait(false);
        await WriteOutAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var i = 0; i < batch.Count; i++)
        {
            await AppendAsync(batch[i], cancellationToken).ConfigureAwait(false);
        }
        await WriteOutAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the JSON writer. The output stream is not closed.</summary>
    public void Dispose() => _json.Dispose();

    /// <summary>Formats one event as its console line (without the trailing newline).</summary>
    public static string FormatLine(SecurityEvent securityEvent) => Prefix + SecurityEventJson.Serialize(securityEvent);

    private ValueTask AppendAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        _line.ResetWrittenCount();
        _line.Write(PrefixBytes);
        _json.Reset(_line);
        SecurityEventJson.Write(_json, securityEvent);
        _json.Flush();
        _line.GetSpan(1)[0] = (byte)'\n';
        _line.Advance(1);
        if (_buffer.WrittenCount > 0 && _buffer.WrittenCount + _line.WrittenCount > MaxWriteBytes)
        {
            return WriteOutThenAppendAsync(cancellationToken);
        }
        _buffer.Write(_line.WrittenSpan);
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteOutThenAppendAsync(CancellationToken cancellationToken)
    {
        await WriteOutAsync(cancellationToken).ConfigureAwait(false);
        _buffer.Write(_line.WrittenSpan);
    }

    private async ValueTask WriteOutAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }
        try
        {
            await _output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _buffer.ResetWrittenCount();
        }
    }
}
