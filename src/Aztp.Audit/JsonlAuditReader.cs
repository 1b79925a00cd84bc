using System.Runtime.CompilerServices;
using Aztp.Audit.Internal;

namespace Aztp.Audit;

/// <summary>Reads a JSONL audit file (plain, or gzip-compressed when the name ends in <c>.gz</c>).</summary>
public sealed class JsonlAuditReader : IAuditReader
{
    private readonly string _path;

    /// <summary>Creates a reader for a file.</summary>
    /// <exception cref="AuditStoreException">The file does not exist.</exception>
    public JsonlAuditReader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new AuditStoreException($"Audit file '{path}' does not exist.");
        }
        _path = path;
    }

    /// <inheritdoc/>
    public string Description => _path;

    /// <summary>The file read (the verifier reads its lines directly).</summary>
    internal string Path => _path;

    /// <inheritdoc/>
    public IAsyncEnumerable<AuditRecord> ReadAllAsync(CancellationToken cancellationToken = default) =>
        JsonlLines.ReadAsync(_path, 0, cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Last is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Last, "AuditQuery.Last must be positive.");
        }
        var window = query.Last is { } last ? new Queue<AuditEntry>(Math.Min(last, 4096)) : null;
        await foreach (var record in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Kind != AuditRecordKind.Event || (query.AfterSeq is { } after && record.Seq <= after))
            {
                continue;
            }
            var evt = record.ReadEvent();
            if (!query.Matches(evt))
            {
                continue;
            }
            var entry = new AuditEntry(record.Seq, evt);
            if (window is null)
            {
                yield return entry;
                continue;
            }
            if (window.Count == query.Last)
            {
                window.Dequeue();
            }
            window.Enqueue(entry);
        }
        if (window is not null)
        {
            foreach (var entry in window)
            {
                yield return entry;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
