namespace Aztp.Audit;

/// <summary>Deletes old records from a database store while keeping the chain verifiable.</summary>
public interface IAuditRetention
{
    /// <summary>
    /// Deletes the records before the last checkpoint that precedes every event newer than <paramref name="olderThan"/>.
    /// The store then starts at that checkpoint, which vouches for the deleted prefix, so it still verifies. When no
    /// checkpoint qualifies nothing is deleted.
    /// </summary>
    /// <returns>The outcome: records deleted and the checkpoint the store now starts at.</returns>
    Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}
