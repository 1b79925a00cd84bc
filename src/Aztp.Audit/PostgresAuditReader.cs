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
    private readonly PostgresTable _shape;

    private PostgresAuditReader(NpgsqlConnection connection, string description, string table, PostgresTable shape)
    {
        _connection = connection;
        _table = table;
        _shape = shape;
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
            var shape = await PostgresSchema.DetectAsync(connection, table, cancellationToken).ConfigureAwait(false)
                ?? throw new AuditStoreException($"{description} has no audit table '{table}'.");
            return new PostgresAuditReader(connection, description, table, shape);
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
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_table} ORDER BY {_shape.OrderColumn}";
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
    public IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        SqlAuditOps.QueryAsync(_connection, _table, query, static t => t.ToUniversalTime(), cancellationToken);

    /// <inheritdoc/>
    public Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        SqlAuditOps.PruneAsync(_connection, _table, olderThan.ToUniversalTime(), cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
