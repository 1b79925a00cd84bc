namespace Aztp.Audit;

/// <summary>Opens audit stores by location, the form the <c>aztp audit</c> commands take.</summary>
public static class AuditStore
{
    /// <summary>
    /// Opens a reader for <c>sqlite:PATH</c>, <c>postgres:CONNECTION-STRING</c>, or a
    /// JSONL file path (<c>.gz</c> for a compressed rotated file).
    /// </summary>
    /// <exception cref="AuditStoreException">The store does not exist or cannot be opened.</exception>
    /// <exception cref="ArgumentException">The location is empty or malformed.</exception>
    public static async Task<IAuditReader> OpenReaderAsync(string location, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        if (location.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = location["sqlite:".Length..];
            if (path.Length == 0)
            {
                throw new ArgumentException("sqlite: needs a database path, e.g. sqlite:audit.db.", nameof(location));
            }
            return await SqliteAuditReader.OpenAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (location.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            var cs = location["postgres:".Length..];
            if (cs.Length == 0)
            {
                throw new ArgumentException("postgres: needs a connection string, e.g. postgres:Host=db;Database=audit.", nameof(location));
            }
            return await PostgresAuditReader.OpenAsync(cs, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        return new JsonlAuditReader(location);
    }
}
