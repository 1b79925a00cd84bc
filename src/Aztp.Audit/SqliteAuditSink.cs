using Aztp.Audit.Internal;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit;

/// <summary>
/// Writes the audit chain to SQLite (WAL mode): one row per record with indexed columns for timestamp, type, agent,
/// outcome, severity, trace id and actor, plus the canonical JSON; each batch is one transaction.
/// </summary>
public sealed class SqliteAuditSink : AuditSink
{
    private readonly SqliteAuditSinkOptions _options;
    private SqliteConnection? _connection;
    private SqliteInsert? _insert;

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
            await SqliteSchema.CreateAsync(sink._connection, options.Table, options.FullSync, cancellationToken).ConfigureAwait(false);
            sink.PrepareInsert();
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
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

    private void PrepareInsert() => _insert = new SqliteInsert(_connection!, _options.Table);

    private protected override async ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_options.Table} ORDER BY id DESC LIMIT 1";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqliteSchema.ReadRecord(reader, -1) : null;
    }

    private protected override ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        // Synchronous by nature (Microsoft.Data.Sqlite's async methods only wrap these calls). One transaction per
        // batch: all records or none become durable.
        using var transaction = _connection!.BeginTransaction();
        var insert = _insert!;
        foreach (var record in records)
        {
            insert.Insert(record);
        }
        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    private protected override async ValueTask CloseStoreAsync()
    {
        _insert?.Dispose();
        _insert = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }
}
