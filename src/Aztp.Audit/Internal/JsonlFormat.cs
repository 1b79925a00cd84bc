using System.Buffers;
using System.Text.Json;

namespace Aztp.Audit.Internal;

/// <summary>
/// One JSONL audit line: <c>{"seq":N,"prevHash":"…","hash":"…","event":{…}}</c> or with <c>"checkpoint":{…}</c> in
/// place of <c>event</c>, then <c>\n</c>. The payload is embedded verbatim, so its bytes on disk are the hashed bytes.
/// </summary>
internal static class JsonlFormat
{
    public static void WriteLine(IBufferWriter<byte> output, AuditRecord record)
    {
        // Every field but the payload is digits or hex, which JSON never escapes: write the bytes directly.
        var payload = record.Payload.Span;
        var span = output.GetSpan(payload.Length + 200);
        var n = 0;
        n += Copy("{\"seq\":"u8, span[n..]);
        record.Seq.TryFormat(span[n..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        n += digits;
        n += Copy(",\"prevHash\":\""u8, span[n..]);
        n += System.Text.Encoding.ASCII.GetBytes(record.PrevHash, span[n..]);
        n += Copy("\",\"hash\":\""u8, span[n..]);
        n += System.Text.Encoding.ASCII.GetBytes(record.Hash, span[n..]);
        n += Copy(record.Kind == AuditRecordKind.Event ? "\",\"event\":"u8 : "\",\"checkpoint\":"u8, span[n..]);
        n += Copy(payload, span[n..]);
        n += Copy("}\n"u8, span[n..]);
        output.Advance(n);
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    /// <summary>Parses one line (without its newline).</summary>
    /// <exception cref="AuditStoreException">The line is not a well-formed audit record.</exception>
    public static AuditRecord ParseLine(ReadOnlySpan<byte> line, long lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Malformed(lineNumber, "not a JSON object");
            }
            long? seq = null;
            string? prevHash = null, hash = null;
            AuditRecordKind? kind = null;
            ReadOnlyMemory<byte> payload = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("prevHash"u8))
                {
                    reader.Read();
                    prevHash = reader.GetString();
                }
                else if (reader.ValueTextEquals("hash"u8))
                {
                    reader.Read();
                    hash = reader.GetString();
                }
                else if (reader.ValueTextEquals("event"u8) || reader.ValueTextEquals("checkpoint"u8))
                {
                    if (kind is not null)
                    {
                        throw Malformed(lineNumber, "more than one payload");
                    }
                    kind = reader.ValueTextEquals("event"u8) ? AuditRecordKind.Event : AuditRecordKind.Checkpoint;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw Malformed(lineNumber, "the payload is not an object");
                    }
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var end = (int)reader.BytesConsumed;
                    payload = line[start..end].ToArray();
                }
                else
                {
                    throw Malformed(lineNumber, $"unknown field '{reader.GetString()}'");
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw Malformed(lineNumber, "unexpected content");
            }
            if (seq is null || prevHash is null || hash is null || kind is null)
            {
                throw Malformed(lineNumber, "seq, prevHash, hash and event or checkpoint are required");
            }
            return new AuditRecord(seq.Value, prevHash, hash, kind.Value, payload);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new AuditStoreException($"Line {lineNumber} is not a well-formed audit record: {ex.Message}", lineNumber, tornTail: false, ex);
        }
    }

    private static AuditStoreException Malformed(long line, string what) =>
        new($"Line {line} is not a well-formed audit record: {what}.", line, tornTail: false);
}
