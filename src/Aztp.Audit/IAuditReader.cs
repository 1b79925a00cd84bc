namespace Aztp.Audit;

/// <summary>Reads an audit store: every record in store order (for verification) and events by filter (for query and tail).</summary>
public interface IAuditReader : IAsyncDisposable
{
    /// <summary>A display name of the store (path or database), without credentials.</summary>
    string Description { get; }

    /// <summary>
    /// Every record in store order (file order, or insertion order in a database).
    /// A malformed record ends the enumeration with an <see cref="AuditStoreException"/> that gives its position.
    /// </summary>
    IAsyncEnumerable<AuditRecord> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Event records matching a query, in seq order (the last <see cref="AuditQuery.Last"/> when set).</summary>
    IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
