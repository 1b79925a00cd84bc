using Aztp.Audit.Internal;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit;

/// <summary>
/// Writes the audit chain to SQLite (WAL mode): one row per record with indexed columns for timestamp, type, agent,
/// outcome, severity, trace id and actor, plus the canonical JSON; each batch is one transaction. By default
/// <see cref="AuditSink.HandleBatchAsync"/> returns once its batch is committed; with
/// <see cref="SqliteAuditSinkOptions.WriteBehind"/> it returns once the batch is queued to a background writer, which
/// commits everything queued in one transaction (see <see cref="StoredSeq"/> and <see cref="FlushAsync"/>). With
/// <see cref="SqliteAuditSinkOptions.CheckpointInBackground"/> (opt-in), WAL checkpoints run on a background connection
/// instead of inside the writer's commits.
/// </summary>
public sealed class SqliteAuditSink : AuditSink
{
    private readonly SqliteAuditSinkOptions _options;
    private SqliteConnection? _connection;
    private SqliteInsert? _insert;
    private string _orderColumn = "rowid";
    private SqliteCheckpointer? _checkpointer;
    private SqliteWriteBehind? _writeBehind;

    private SqliteAuditSink(SqliteAuditSinkOptions options)
        : base(options)
    {
        _options = options;
    }

    /// <summary>Opens (or creates) the database and continues its chain.</summary>
    /// <exception cref="AuditStoreException">The database cannot be opened.</exception>
    public static async Task<SqliteAuditSink> OpenAsync(SqliteAuditSinkOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sink = new SqliteAuditSink(options);
        try
        {
            sink._connection = await SqliteSchema.OpenAsync(options.Path, create: true, cancellationToken).ConfigureAwait(false);
            var shape = await SqliteSchema.CreateAsync(sink._connection, options.Table, options.FullSync, cancellationToken).ConfigureAwait(false);
            sink._orderColumn = shape.OrderColumn;
            sink._insert = new SqliteInsert(sink._connection, options.Table, shape.Layout);
            if (options.CheckpointInBackground)
            {
                var restartFrames = Math.Max(1, options.WalRestartBytes / await SqliteSchema.PageSizeAsync(sink._connection, cancellationToken).ConfigureAwait(false));
                sink._checkpointer = await SqliteCheckpointer.StartAsync(sink._connection, options.Path, options.BackgroundCheckpointRecords, restartFrames,
                    cancellationToken).ConfigureAwait(false);
            }
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
            if (options.WriteBehind)
            {
                sink._writeBehind = new SqliteWriteBehind(options.MaxPendingBatches, sink.CommitBatches, sink.LastSeq);
            }
            return sink;
        }
        catch (SqliteException ex)
        {
            await sink.CloseStoreAsync().ConfigureAwait(false);
            throw new AuditStoreException($"Cannot open SQLite audit database '{options.Path}': {ex.Message}", ex);
        }
        catch
        {
            await sink.CloseStoreAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public override string Name => "sqlite";

    /// <summary>
    /// The seq of the last record committed to the database. Without write-behind it equals <see cref="AuditSink.LastSeq"/>;
    /// with it, it trails by the batches still queued.
    /// </summary>
    public long StoredSeq => _writeBehind?.StoredSeq ?? LastSeq;

    /// <summary>
    /// Waits until every batch accepted so far is committed (immediate without write-behind).
    /// </summary>
    /// <exception cref="AuditStoreException">A write-behind commit failed; its batch and those queued after it were not stored.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        _writeBehind?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    private protected override async ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken)
    {
        if (_writeBehind is { } writeBehind)
        {
            // The tail is what the writer committed: let it finish (or discard after a failure) first.
            await writeBehind.WhenIdleAsync(cancellationToken).ConfigureAwait(false);
            writeBehind.ClearFault();
        }
        using var command = _connection!.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_options.Table} ORDER BY {_orderColumn} DESC LIMIT 1";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqliteSchema.ReadRecord(reader, -1) : null;
    }

    private protected override ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (_writeBehind is { } writeBehind)
        {
            return writeBehind.EnqueueAsync(records);
        }
        // Synchronous by nature (Microsoft.Data.Sqlite's async methods only wrap these calls). One transaction per
        // batch: all records or none become durable.
        _checkpointer?.BeforeWrite();
        try
        {
            using var transaction = _connection!.BeginTransaction();
            Insert(records);
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw StoreFailed(ex);
        }
        _checkpointer?.Committed(records.Count);
        return ValueTask.CompletedTask;
    }

    // A failed write (disk full, database locked or read-only, a constraint or trigger) is the store's failure: callers
    // get the sink's typed exception, with SQLite's own as the inner exception. The transaction was rolled back.
    private AuditStoreException StoreFailed(SqliteException ex) =>
        new($"Storing a batch of audit records in SQLite database '{_options.Path}' failed, and none of its records was stored: {ex.Message}", ex);

    /// <summary>
    /// Without write-behind, a batch is stored while the rest of it is still being chained (on the sink's chain worker):
    /// 128 records per hand-off. Write-behind already overlaps chaining with the commit, so it chains first.
    /// </summary>
    private protected override int PipelineChunk => _writeBehind is null ? PipelineRecords : 0;

    internal const int PipelineRecords = 128;

    private protected override ValueTask AppendPipelinedAsync(ChainBatch records)
    {
        _checkpointer?.BeforeWrite();
        var insert = _insert!;
        var stored = 0;
        // One transaction: if chaining or an insert fails, disposing it uncommitted rolls every row of the batch back.
        try
        {
            using var transaction = _connection!.BeginTransaction();
            int published;
            while ((published = records.WaitFor(stored)) > stored)
            {
                for (; stored < published; stored++)
                {
                    insert.Insert(records[stored]);
                }
            }
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw StoreFailed(ex);
        }
        _checkpointer?.Committed(stored);
        return ValueTask.CompletedTask;
    }

    // The write-behind commit: every queued batch in one transaction (all or none).
    private void CommitBatches(List<IReadOnlyList<AuditRecord>> batches)
    {
        _checkpointer?.BeforeWrite();
        var count = 0;
        using (var transaction = _connection!.BeginTransaction())
        {
            foreach (var records in batches)
            {
                Insert(records);
                count += records.Count;
            }
            transaction.Commit();
        }
        _checkpointer?.Committed(count);
    }

    /// <summary>The background WAL checkpointer, when enabled (tests read its counters).</summary>
    internal SqliteCheckpointer? Checkpointer => _checkpointer;

    private void Insert(IReadOnlyList<AuditRecord> records)
    {
        var insert = _insert!;
        for (var i = 0; i < records.Count; i++)
        {
            insert.Insert(records[i]);
        }
    }

    private protected override async ValueTask CloseStoreAsync()
    {
        if (_writeBehind is not null)
        {
            await _writeBehind.CompleteAsync().ConfigureAwait(false);
            _writeBehind = null;
        }
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
            _checkpointer = null;
        }
        _insert?.Dispose();
        _insert = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }
}
