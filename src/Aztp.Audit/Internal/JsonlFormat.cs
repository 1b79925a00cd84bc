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

    /// <summary>
    /// Splits a line laid out exactly as <see cref="WriteLine"/> writes it — <c>{"seq":N,"prevHash":"H","hash":"H",</c>
    /// then <c>"event":</c> or <c>"checkpoint":</c>, one payload object and <c>}</c> — without a JSON parse of the
    /// envelope and without materializing anything: the payload is only checked to be one well-formed object. False
    /// for any other line, which <see cref="ParseLine"/> then decides; when true, <see cref="ParseLine"/> would return
    /// the same seq, hashes, kind and payload bytes. Both hashes must be 64 lower-case hex digits here; they are
    /// returned decoded.
    /// </summary>
    public static bool TryParseWritten(ReadOnlySpan<byte> line, out long seq, out AuditRecordKind kind,
        out Hash256 prevHash, out Hash256 hash, out ReadOnlySpan<byte> payload)
    {
        seq = 0;
        kind = AuditRecordKind.Event;
        prevHash = hash = default;
        payload = default;
        var rest = line;
        if (!rest.StartsWith("{\"seq\":"u8))
        {
            return false;
        }
        rest = rest[7..];
        // 1 to 18 digits, no leading zero: always a JSON number that fits a long.
        var digits = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (digits is < 1 or > 18 || rest[0] == (byte)'0')
        {
            return false;
        }
        foreach (var d in rest[..digits])
        {
            seq = (seq * 10) + (d - '0');
        }
        rest = rest[digits..];
        if (!rest.StartsWith(",\"prevHash\":\""u8) || rest.Length < 13 + 64)
        {
            return false;
        }
        if (!Hash256.TryParse(rest.Slice(13, 64), out prevHash))
        {
            return false;
        }
        rest = rest[(13 + 64)..];
        if (!rest.StartsWith("\",\"hash\":\""u8) || rest.Length < 10 + 64)
        {
            return false;
        }
        if (!Hash256.TryParse(rest.Slice(10, 64), out hash))
        {
            return false;
        }
        rest = rest[(10 + 64)..];
        if (rest.StartsWith("\",\"event\":"u8))
        {
            rest = rest[10..];
        }
        else if (rest.StartsWith("\",\"checkpoint\":"u8))
        {
            kind = AuditRecordKind.Checkpoint;
            rest = rest[15..];
        }
        else
        {
            return false;
        }
        // The payload starts right at its '{' (ParseLine's payload does not include whitespace before it).
        if (rest.Length < 3 || rest[0] != (byte)'{' || rest[^1] != (byte)'}')
        {
            return false;
        }
        payload = rest[..^1];
        return IsOneObject(payload);
    }

    // The payload's own check, as the line parser makes it inside the envelope (default options), but nested at most
    // PayloadMaxDepth: an object in the envelope sits one level deeper, so deeper payloads go to ParseLine to decide.
    private const int PayloadMaxDepth = 32;

    private static bool IsOneObject(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = PayloadMaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            // Nothing after the object, not even whitespace (which would not be part of the payload in ParseLine).
            return reader.BytesConsumed == payload.Length;
        }
        catch (JsonException)
        {
            return false;
        }
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
