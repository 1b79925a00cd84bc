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
    private readonly SqliteLayout _layout;
    private readonly string _orderColumn;

    private SqliteAuditReader(SqliteConnection connection, string path, string table, SqliteTable shape)
    {
        _connection = connection;
        _table = table;
        _layout = shape.Layout;
        _orderColumn = shape.OrderColumn;
        Description = "sqlite:" + path;
    }

    /// <summary>Opens an existing database.</summary>
    /// <exception cref="AuditStoreException">The database does not exist or cannot be opened.</exception>
    public static async Task<SqliteAuditReader> OpenAsync(string path, string table = "aztp_audit", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AuditRow.ValidateTableName(table);
        var connection = await SqliteSchema.OpenAsync(path, create: false, cancellationToken).ConfigureAwait(false);
        try
        {
            // Without the table the shape does not matter: every read reports the missing table.
            var shape = await SqliteSchema.DetectAsync(connection, table, cancellationToken).ConfigureAwait(false) ?? SqliteTable.New;
            return new SqliteAuditReader(connection, path, table, shape);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new AuditStoreException($"Cannot read SQLite audit database '{path}': {ex.Message}", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public async IAsyncEnumerable<AuditRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {_table} ORDER BY {_orderColumn}";
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
    public IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        _layout == SqliteLayout.Integer
            ? SqlAuditOps.QueryAsync(_connection, _table, query, static t => SqliteCodes.Timestamp(t), static t => SqliteCodes.Type(t),
                static o => SqliteCodes.Outcome(o), cancellationToken)
            : SqlAuditOps.QueryAsync(_connection, _table, query, static t => TextTimestamp(t), cancellationToken);

    /// <inheritdoc/>
    public Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        SqlAuditOps.PruneAsync(_connection, _table, _layout == SqliteLayout.Integer ? SqliteCodes.Timestamp(olderThan) : TextTimestamp(olderThan), cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static string TextTimestamp(DateTimeOffset t) => t.UtcDateTime.ToString(AuditRow.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture);
}
