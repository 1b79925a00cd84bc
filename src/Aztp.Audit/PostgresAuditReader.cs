using System.Runtime.CompilerServices;
using Aztp.Audit.Internal;
using Aztp.Core;
using Npgsql;

namespace Aztp.Audit;

/// <summary>Reads (and prunes) a PostgreSQL audit table.</summary>
public sealed class PostgresAuditReader : IAuditReader, IAuditRetention
{
    private readonly NpgsqlConnection _connection;
    private readonly string _table;

    private PostgresAuditReader(NpgsqlConnection connection, string description, string table)
    {
        _connection = connection;
        _table = table;
        Description = description;
    }

    /// <summary>Connects to the server.</summary>
    /// <exception cref="AuditStoreException">The server cannot be reached or the table does not exist.</exception>
    public static async Task<PostgresAuditReader> OpenAsync(string connectionString, string table = "aztp_audit", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        AuditRow.ValidateTableName(table);
        var description = PostgresSchema.Describe(connectionString);
        NpgsqlConnection? connection = null;
        try
        {
            connection = new NpgsqlConnection(PostgresSchema.NoPooling(connectionString));
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var probe = connection.CreateCommand())
            {
                probe.CommandText = "SELECT to_regclass(@t) IS NOT NULL";
                probe.Parameters.AddWithValue("t", table);
                if (!(bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    throw new AuditStoreException($"{description} has no audit table '{table}'.");
                }
            }
            return new PostgresAuditReader(connection, description, table);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or System.Net.Sockets.SocketException or TimeoutException)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            throw new AuditStoreException($"Cannot open {description}: {ex.Message}", ex);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_table} ORDER BY id";
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            long position = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                position++;
                yield return PostgresSchema.ReadRecord(reader, position);
            }
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (sql, parameters) = QuerySql.Build(_table, query, static t => t.ToUniversalTime());
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
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
        var transaction = await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            long cut;
            await using (var find = _connection.CreateCommand())
            {
                find.Transaction = transaction;
                find.CommandText = $"""
                    SELECT MAX(seq) FROM {_table} WHERE kind = 'checkpoint' AND seq <
                      COALESCE((SELECT MIN(seq) FROM {_table} WHERE kind = 'event' AND ts >= @cutoff), (SELECT MAX(seq) + 1 FROM {_table}))
                    """;
                find.Parameters.AddWithValue("cutoff", olderThan.ToUniversalTime());
                var result = await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (result is null or DBNull)
                {
                    return new AuditPruneResult(0, 0);
                }
                cut = (long)result;
            }
            int deleted;
            await using (var delete = _connection.CreateCommand())
            {
                delete.Transaction = transaction;
                delete.CommandText = $"DELETE FROM {_table} WHERE seq < @cut";
                delete.Parameters.AddWithValue("cut", cut);
                deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new AuditPruneResult(deleted, deleted == 0 ? 0 : cut);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
