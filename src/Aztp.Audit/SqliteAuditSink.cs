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
    private SqliteCommand? _insert;

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

    private void PrepareInsert()
    {
        var command = _connection!.CreateCommand();
        command.CommandText = $"INSERT INTO {_options.Table} ({SqliteSchema.Columns}) VALUES ($seq, $kind, $prev, $hash, $eid, $ts, $type, $agent, $outcome, $severity, $trace, $actor, $json)";
        foreach (var name in new[] { "$seq", "$kind", "$prev", "$hash", "$eid", "$ts", "$type", "$agent", "$outcome", "$severity", "$trace", "$actor", "$json" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        _insert = command;
    }

    private protected override async ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_options.Table} ORDER BY id DESC LIMIT 1";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqliteSchema.ReadRecord(reader, -1) : null;
    }

    private protected override ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite runs synchronously; its async methods only wrap these calls.
        using var transaction = _connection!.BeginTransaction();
        var insert = _insert!;
        insert.Transaction = transaction;
        var p = insert.Parameters;
        foreach (var record in records)
        {
            var row = AuditRow.From(record);
            p[0].Value = record.Seq;
            p[1].Value = AuditRow.KindName(record.Kind);
            p[2].Value = record.PrevHash;
            p[3].Value = record.Hash;
            p[4].Value = (object?)row.EventId ?? DBNull.Value;
            p[5].Value = row.TimestampText;
            p[6].Value = (object?)row.Type ?? DBNull.Value;
            p[7].Value = (object?)row.Agent ?? DBNull.Value;
            p[8].Value = (object?)row.Outcome ?? DBNull.Value;
            p[9].Value = (object?)row.Severity ?? DBNull.Value;
            p[10].Value = (object?)row.TraceId ?? DBNull.Value;
            p[11].Value = (object?)row.Actor ?? DBNull.Value;
            p[12].Value = row.Json;
            insert.ExecuteNonQuery();
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
