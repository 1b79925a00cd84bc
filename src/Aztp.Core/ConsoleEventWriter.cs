using System.Buffers;
using System.Text.Json;

namespace Aztp.Core;

/// <summary>
/// Writes each event as exactly one line <c>[AZTP:EVENT] {canonical json}\n</c>, so
/// <c>grep '\[AZTP:EVENT\]' | sed 's/^\[AZTP:EVENT\] //' | jq .</c> works. Lines of a batch go out in one write.
/// </summary>
public sealed class ConsoleEventWriter : IBatchSecurityEventHandler, IDisposable
{
    /// <summary>The prefix of every console line.</summary>
    public const string Prefix = "[AZTP:EVENT] ";

    private static readonly byte[] PrefixBytes = "[AZTP:EVENT] "u8.ToArray();
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
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
    public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        Append(securityEvent);
        return WriteOutAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var i = 0; i < batch.Count; i++)
        {
            Append(batch[i]);
        }
        return WriteOutAsync(cancellationToken);
    }

    /// <summary>Releases the JSON writer. The output stream is not closed.</summary>
    public void Dispose() => _json.Dispose();

    /// <summary>Formats one event as its console line (without the trailing newline).</summary>
    public static string FormatLine(SecurityEvent securityEvent) => Prefix + SecurityEventJson.Serialize(securityEvent);

    private void Append(SecurityEvent securityEvent)
    {
        _buffer.Write(PrefixBytes);
        _json.Reset(_buffer);
        SecurityEventJson.Write(_json, securityEvent);
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    private async ValueTask WriteOutAsync(CancellationToken cancellationToken)
    {
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
