using Npgsql;

namespace Aztp.Audit.Internal;

/// <summary>
/// The shape of a PostgreSQL audit table. A table the sink creates has no <c>id</c> column: <c>seq</c> is its primary
/// key, so it is read in seq order. Tables made by earlier versions (<c>id BIGSERIAL PRIMARY KEY</c> and a seq index) are
/// read in <c>id</c> order, as before; both are written, queried, pruned and verified alike.
/// </summary>
internal readonly record struct PostgresTable(bool HasIdColumn)
{
    /// <summary>What the sink creates when the table is missing.</summary>
    public static PostgresTable New => new(HasIdColumn: false);

    /// <summary>The column that gives storage order (what <c>verify</c> walks and the tail read takes the last of).</summary>
    public string OrderColumn => HasIdColumn ? "id" : "seq";
}

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

    /// <summary>
    /// Creates the table with its indexes when missing (<c>seq BIGINT PRIMARY KEY</c>, no <c>id</c>) and adds any missing
    /// index to an existing one, which keeps its shape; returns the table's shape.
    /// </summary>
    public static async Task<PostgresTable> CreateAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        var shape = await DetectAsync(connection, table, cancellationToken).ConfigureAwait(false) ?? PostgresTable.New;
        await using var command = connection.CreateCommand();
        // A new table's severity index leaves out informational rows (AuditTableSql); an existing table keeps its own.
        command.CommandText = AuditTableSql.Create(table, idColumn: shape.HasIdColumn ? "BIGSERIAL PRIMARY KEY" : null, integerType: "BIGINT", timestampType: "TIMESTAMPTZ",
            infoSeverity: shape.HasIdColumn ? null : "'info'");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return shape;
    }

    /// <summary>The shape of an existing table (whether it has an <c>id</c> column); null when there is no such table.</summary>
    public static async Task<PostgresTable?> DetectAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t.oid AND attname = 'id' AND attnum > 0 AND NOT attisdropped)
            FROM (SELECT to_regclass(@table) AS oid) AS t WHERE t.oid IS NOT NULL
            """;
        command.Parameters.AddWithValue("table", table);
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result is bool hasId ? new PostgresTable(hasId) : null;
    }

    public static async Task<AuditRecord?> ReadLastAsync(NpgsqlConnection connection, string table, PostgresTable shape, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, json FROM {table} ORDER BY {shape.OrderColumn} DESC LIMIT 1";
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
    /// Writes records with one binary COPY (atomic: all rows or none): <paramref name="data"/> is their stream, encoded by
    /// <see cref="PostgresCopyEncoder"/>, sent as it is; on a failure while sending, the COPY is cancelled so no partial
    /// batch can commit.
    /// </summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
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
