using System.Runtime.CompilerServices;
using Aztp.Audit.Internal;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit;

/// <summary>Reads (and prunes) an SQLite audit database.</summary>
public sealed class SqliteAuditReader : IAuditReader, IAuditRetention
{
    private readonly SqliteConnection _connection;
    private readonly string _table;

    private SqliteAuditReader(SqliteConnection connection, string path, string table)
    {
        _connection = connection;
        _table = table;
        Description = "sqlite:" + path;
    }

    /// <summary>Opens an existing database.</summary>
    /// <exception cref="AuditStoreException">The database does not exist or cannot be opened.</exception>
    public static async Task<SqliteAuditReader> OpenAsync(string path, string table = "aztp_audit", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AuditRow.ValidateTableName(table);
        var connection = await SqliteSchema.OpenAsync(path, create: false, cancellationToken).ConfigureAwait(false);
        return new SqliteAuditReader(connection, path, table);
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_table} ORDER BY id";
        SqliteDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new AuditStoreException($"Cannot read {Description}: {ex.Message}", ex);
        }
        await using (reader.ConfigureAwait(false))
        {
            long position = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                position++;
                yield return SqliteSchema.ReadRecord(reader, position);
            }
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (sql, parameters) = QuerySql.Build(_table, query, static t => t.UtcDateTime.ToString(AuditRow.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture));
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue("@" + name, value);
        }
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var evt = SecurityEventJson.Deserialize(reader.GetString(1));
                if (query.Matches(evt))
                {
                    yield return new AuditEntry(reader.GetInt64(0), evt);
                }
            }
        }
    }

    /// <inheritdoc/>
    public async Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var cutoff = olderThan.UtcDateTime.ToString(AuditRow.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture);
        using var transaction = _connection.BeginTransaction();
        using var find = _connection.CreateCommand();
        find.Transaction = transaction;
        // The cut: the last checkpoint before the first event that must be kept (or before the end, when all are old).
        find.CommandText = $"""
            SELECT MAX(seq) FROM {_table} WHERE kind = 'checkpoint' AND seq <
              COALESCE((SELECT MIN(seq) FROM {_table} WHERE kind = 'event' AND ts >= @cutoff), (SELECT MAX(seq) + 1 FROM {_table}))
            """;
        find.Parameters.AddWithValue("@cutoff", cutoff);
        var result = await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (result is null or DBNull)
        {
            return new AuditPruneResult(0, 0);
        }
        var cut = Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = $"DELETE FROM {_table} WHERE seq < @cut";
        delete.Parameters.AddWithValue("@cut", cut);
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        transaction.Commit();
        return new AuditPruneResult(deleted, deleted == 0 ? 0 : cut);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
