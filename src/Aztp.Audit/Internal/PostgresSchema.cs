using Npgsql;
using NpgsqlTypes;

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
        var kind = AuditRow.ParseKind(reader.GetString(1), position);
        return new AuditRecord(reader.GetInt64(0), reader.GetString(2), reader.GetString(3), kind,
            System.Text.Encoding.UTF8.GetBytes(reader.GetString(4)));
    }

    /// <summary>Writes records with one binary COPY (atomic: all rows or none).</summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var record in records)
            {
                var row = AuditRow.From(record);
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(record.Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(AuditRow.KindName(record.Kind), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(record.PrevHash, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(record.Hash, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.EventId, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Timestamp, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.Type, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.Agent, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.Outcome, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.Severity, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.TraceId, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, row.Actor, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Json, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
