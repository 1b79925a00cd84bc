namespace Aztp.Audit;

/// <summary>The outcome of verifying an audit chain.</summary>
public sealed class AuditVerificationResult
{
    /// <summary>True when no break was found.</summary>
    public bool IsIntact => Break is null;

    /// <summary>The first break, or null when the chain is intact.</summary>
    public AuditBreak? Break { get; init; }

    /// <summary>Records read (up to the break).</summary>
    public long Records { get; init; }

    /// <summary>Event records read.</summary>
    public long Events { get; init; }

    /// <summary>Checkpoints whose signature (and trust, when anchors were given) verified.</summary>
    public long Checkpoints { get; init; }

    /// <summary>The seq of the first record (1, or the checkpoint a retention cut starts from).</summary>
    public long FirstSeq { get; init; }

    /// <summary>The seq of the last record read.</summary>
    public long LastSeq { get; init; }

    /// <summary>The seq of the last valid checkpoint, or 0.</summary>
    public long LastCheckpointSeq { get; init; }

    /// <summary>The hash of the last record read.</summary>
    public string? LastHash { get; init; }

    /// <summary>True when checkpoint certificates were validated against trust anchors (not only their signatures).</summary>
    public bool TrustChecked { get; init; }

    /// <summary>The SPIFFE IDs that signed checkpoints.</summary>
    public IReadOnlyList<string> Signers { get; init; } = [];
}
