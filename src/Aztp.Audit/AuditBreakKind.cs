namespace Aztp.Audit;

/// <summary>How an audit chain is broken.</summary>
public enum AuditBreakKind
{
    /// <summary>A record's content or hash was changed: its hash does not match its content, or the next record no longer links to it.</summary>
    Edited,

    /// <summary>Records are missing: the seq jumps forward and the missing seqs appear nowhere later.</summary>
    Deleted,

    /// <summary>A record was added: a seq appears twice, or a record sits between two records that link to each other.</summary>
    Inserted,

    /// <summary>Records are out of order: a seq jumps forward and a missing seq appears later.</summary>
    Reordered,

    /// <summary>The store ends after records no checkpoint covers, or in the middle of a record.</summary>
    Truncated,

    /// <summary>A checkpoint is malformed, does not cover the record before it, or its signature does not verify.</summary>
    InvalidCheckpoint,

    /// <summary>A checkpoint's signing certificate does not chain to the trust bundle or is not an SVID.</summary>
    UntrustedCheckpoint,
}
