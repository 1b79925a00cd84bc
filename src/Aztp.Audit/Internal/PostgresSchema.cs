using Npgsql;

namespace Aztp.Audit.Internal;

internal static class PostgresSchema
{
    public const string Columns = "seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json";

    public static string NoPooling(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        return builder.ConnectionString;
    }

    public static string Describe(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"postgres:Host={b.Host};Port={b.Port};Database={b.Database}";
        }
        catch (ArgumentException)
        {
            return "postgres:(invalid connection string)";
        }
    }

    public static async Task CreateAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = AuditTableSql.Create(table, idColumn: "BIGSERIAL PRIMARY KEY", integerType: "BIGINT", timestampType: "TIMESTAMPTZ");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<AuditRecord?> ReadLastAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {table} ORDER BY id DESC LIMIT 1";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRecord(reader, -1) : null;
    }

    public static async Task<long> MaxSeqAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COALESCE(MAX(seq), 0) FROM {table}";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public static AuditRecord ReadRecord(NpgsqlDataReader reader, long position)
    {
        AuditRow.RequireEvidence(reader, position);
        var kind = AuditRow.ParseKind(reader.GetString(1), position);
        return new AuditRecord(reader.GetInt64(0), reader.GetString(2), reader.GetString(3), kind,
            System.Text.Encoding.UTF8.GetBytes(reader.GetString(4)));
    }

    /// <summary>
    /// Writes records with one binary COPY (atomic: all rows or none), encoded by <paramref name="encoder"/> and sent as
    /// one raw stream; on a failure while sending, the COPY is cancelled so no partial batch can commit.
    /// </summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, PostgresCopyEncoder encoder, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        var data = encoder.Encode(records);
        var copy = await connection.BeginRawBinaryCopyAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        try
        {
            await copy.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CancelQuietlyAsync(copy).ConfigureAwait(false);
            throw;
        }
        // Ends the COPY and waits for the server's completion (the commit).
        await copy.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task CancelQuietlyAsync(NpgsqlRawCopyStream copy)
    {
        try
        {
            await copy.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The connection is already broken: the server aborts the COPY on its own; the caller drops the connection.
        }
        try
        {
            await copy.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Same.
        }
    }
}
