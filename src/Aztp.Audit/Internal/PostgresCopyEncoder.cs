using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Aztp.Core;

namespace Aztp.Audit.Internal;

/// <summary>
/// Encodes records as one PostgreSQL binary COPY stream (header, one tuple per record, trailer; "COPY" in the PostgreSQL
/// manual, "Binary Format") for the columns <see cref="PostgresSchema.Columns"/>: the payload's UTF-8 bytes go out as they
/// are (no string round trip), text columns are UTF-8, <c>seq</c> is int8 and <c>ts</c> is timestamptz (microseconds since
/// 2000-01-01 UTC, big-endian). The server checks the text is valid UTF-8, as for any text input.
/// </summary>
internal sealed class PostgresCopyEncoder
{
    private const short FieldCount = 13;
    // 100-ns ticks of 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch.
    private const long PostgresEpochTicks = 630822816000000000;
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00];
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);

    /// <summary>The encoded stream for <paramref name="records"/>; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Encode(IReadOnlyList<AuditRecord> records)
    {
        _buffer.ResetWrittenCount();
        var header = _buffer.GetSpan(19);
        Signature.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[11..], 0); // flags: no OIDs
        BinaryPrimitives.WriteInt32BigEndian(header[15..], 0); // header extension length
        _buffer.Advance(19);
        for (var i = 0; i < records.Count; i++)
        {
            WriteRow(records[i]);
        }
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), -1);
        _buffer.Advance(2);
        return _buffer.WrittenMemory;
    }

    private void WriteRow(AuditRecord record)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), FieldCount);
        _buffer.Advance(2);
        WriteInt64(record.Seq);
        WriteBytes(record.Kind == AuditRecordKind.Event ? "event"u8 : "checkpoint"u8);
        WriteText(record.PrevHash);
        WriteText(record.Hash);
        if (record.Kind == AuditRecordKind.Event)
        {
            var e = record.SourceEvent ?? record.ReadEvent();
            WriteText(e.Id);
            WriteTimestamp(e.Timestamp);
            WriteText(SecurityEventJson.TypeName(e.Type));
            WriteText(e.AgentId);
            WriteText(SecurityEventJson.OutcomeName(e.Outcome));
            WriteText(SecurityEventJson.SeverityName(e.Severity));
            WriteText(e.TraceId);
            WriteText(e.Actor?.Id);
        }
        else
        {
            var c = record.SourceCheckpoint ?? record.ReadCheckpoint();
            WriteNull();
            WriteTimestamp(c.Timestamp);
            WriteNull();
            WriteText(c.AgentId);
            WriteNull();
            WriteNull();
            WriteNull();
            WriteText(c.SpiffeId);
        }
        WriteBytes(record.Payload.Span);
    }

    private void WriteInt64(long value)
    {
        var span = _buffer.GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
        _buffer.Advance(12);
    }

    private void WriteTimestamp(DateTimeOffset timestamp)
    {
        // Whole microseconds, truncated toward zero like Npgsql's own timestamptz writer.
        WriteInt64((timestamp.UtcTicks - PostgresEpochTicks) / 10);
    }

    private void WriteNull()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), -1);
        _buffer.Advance(4);
    }

    private void WriteBytes(ReadOnlySpan<byte> value)
    {
        var span = _buffer.GetSpan(4 + value.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, value.Length);
        value.CopyTo(span[4..]);
        _buffer.Advance(4 + value.Length);
    }

    private void WriteText(string? value)
    {
        if (value is null)
        {
            WriteNull();
            return;
        }
        var span = _buffer.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var length = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        _buffer.Advance(4 + length);
    }
}
