namespace Aztp.Audit;

/// <summary>What an audit record holds.</summary>
public enum AuditRecordKind
{
    /// <summary>A security event; the payload is its canonical JSON.</summary>
    Event,

    /// <summary>A signed checkpoint over the record before it; the payload is the checkpoint JSON.</summary>
    Checkpoint,
}
