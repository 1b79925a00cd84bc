using System.Buffers;
using System.Runtime.CompilerServices;

namespace Aztp.Audit.Internal;

/// <summary>A SHA-256 chain hash as its 32 raw bytes, held inline (no allocation per record).</summary>
[InlineArray(32)]
internal struct Hash256
{
    private byte _first;

    private static readonly SearchValues<byte> LowerHexUtf8 = SearchValues.Create("0123456789abcdef"u8);

    /// <summary>Decodes 64 lower-case hex digits (UTF-8); false for anything else (upper case, other length, other bytes).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Hash256 hash)
    {
        hash = default;
        return utf8.Length == 64 && !utf8.ContainsAnyExcept(LowerHexUtf8)
            && Convert.FromHexString(utf8, hash, out _, out var written) == OperationStatus.Done && written == 32;
    }

    /// <summary>Decodes a hash as text: false unless it is well formed (<see cref="AuditChain.IsWellFormedHash"/>).</summary>
    public static bool TryParse(string? text, out Hash256 hash)
    {
        hash = default;
        return AuditChain.TryParseHash(text, hash);
    }

    public readonly bool Equals(in Hash256 other) => ((ReadOnlySpan<byte>)this).SequenceEqual(other);

    public readonly bool IsZero => !((ReadOnlySpan<byte>)this).ContainsAnyExcept((byte)0);

    public readonly override string ToString() => Convert.ToHexStringLower(this);
}

/// <summary>
/// What the verifier's walk needs of one stored record, with its hash already checked: seq, kind, the stored prevHash
/// and hash as raw bytes (with whether the prevHash text was well formed) and whether the stored hash is the one
/// recomputed from prevHash and the payload. Checkpoints keep their full <see cref="Record"/> (the walk reads their
/// payload); event records carry none on the JSONL path, so nothing is allocated for them.
/// </summary>
internal struct ChainLink
{
    public long Seq;
    public AuditRecordKind Kind;

    /// <summary>The stored prevHash is 64 lower-case hex digits (then <see cref="Prev"/> holds it).</summary>
    public bool PrevWellFormed;

    /// <summary>Same as <see cref="AuditRecord.HasValidHash"/>: the stored hash is well formed and equals the recomputed one.</summary>
    public bool HashValid;

    public Hash256 Prev;

    /// <summary>The stored (and, when <see cref="HashValid"/>, recomputed) hash.</summary>
    public Hash256 Hash;

    /// <summary>The record itself for checkpoints (and for every record read through a generic <see cref="IAuditReader"/>).</summary>
    public AuditRecord? Record;

    /// <summary>True when the stored prevHash text equals <paramref name="hash"/>'s lower-case hex form.</summary>
    public readonly bool LinksTo(in Hash256 hash) => PrevWellFormed && Prev.Equals(hash);
}
