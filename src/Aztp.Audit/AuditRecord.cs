using System.Text;
using Aztp.Core;

namespace Aztp.Audit;

/// <summary>
/// One stored link of an audit chain: its position (<see cref="Seq"/>), the hash of the record before it, its own hash
/// and its payload — the exact bytes that were hashed.
/// </summary>
public sealed class AuditRecord
{
    /// <summary>Creates a record as stored.</summary>
    /// <param name="seq">Position in the chain, starting at 1.</param>
    /// <param name="prevHash">The previous record's hash, or <see cref="AuditChain.GenesisHash"/>.</param>
    /// <param name="hash">This record's hash.</param>
    /// <param name="kind">What the payload holds.</param>
    /// <param name="payload">The payload bytes (UTF-8 JSON), exactly as hashed.</param>
    public AuditRecord(long seq, string prevHash, string hash, AuditRecordKind kind, ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(prevHash);
        ArgumentNullException.ThrowIfNull(hash);
        Seq = seq;
        PrevHash = prevHash;
        Hash = hash;
        Kind = kind;
        Payload = payload;
    }

    /// <summary>Position in the chain, starting at 1.</summary>
    public long Seq { get; }

    /// <summary>The previous record's hash (64 hex digits); <see cref="AuditChain.GenesisHash"/> for the first record.</summary>
    public string PrevHash { get; }

    /// <summary>This record's hash as stored (64 hex digits).</summary>
    public string Hash { get; }

    /// <summary>Whether the payload is an event or a checkpoint.</summary>
    public AuditRecordKind Kind { get; }

    /// <summary>The payload bytes exactly as hashed: canonical event JSON or checkpoint JSON.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The event this record was made from, when it was just written (saves re-parsing for indexed columns).</summary>
    internal SecurityEvent? SourceEvent { get; init; }

    /// <summary>The checkpoint this record was made from, when it was just written.</summary>
    internal AuditCheckpoint? SourceCheckpoint { get; init; }

    /// <summary>The payload as text.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>True when <see cref="Hash"/> equals the hash recomputed from <see cref="PrevHash"/> and the payload.</summary>
    public bool HasValidHash()
    {
        Span<byte> prev = stackalloc byte[32];
        if (Hash.Length != 64 || !AuditChain.TryParseHash(PrevHash, prev))
        {
            return false;
        }
        // Compare as text: a stored hash that is not lower-case hex can never equal the computed hex form.
        AuditChain.ComputeHash(prev, Payload.Span, prev);
        return AuditChain.HexEquals(prev, Hash);
    }

    /// <summary>Reads the event this record holds.</summary>
    /// <exception cref="InvalidOperationException">The record is a checkpoint.</exception>
    /// <exception cref="System.Text.Json.JsonException">The payload is not a well-formed event.</exception>
    public SecurityEvent ReadEvent()
    {
        if (Kind != AuditRecordKind.Event)
        {
            throw new InvalidOperationException($"Record {Seq} is a checkpoint, not an event.");
        }
        return SecurityEventJson.Deserialize(Payload.Span);
    }

    /// <summary>Reads the checkpoint this record holds.</summary>
    /// <exception cref="InvalidOperationException">The record is an event.</exception>
    /// <exception cref="FormatException">The payload is not a well-formed checkpoint.</exception>
    public AuditCheckpoint ReadCheckpoint()
    {
        if (Kind != AuditRecordKind.Checkpoint)
        {
            throw new InvalidOperationException($"Record {Seq} is an event, not a checkpoint.");
        }
        return AuditCheckpoint.Parse(Payload.Span);
    }
}
