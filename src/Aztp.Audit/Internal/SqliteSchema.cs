using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Internal;

internal static class SqliteSchema
{
    public const int BusyTimeoutMs = 5000;

    public static string Columns => "seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json";

    public static async Task<SqliteConnection> OpenAsync(string path, bool create, CancellationToken cancellationToken)
    {
        if (!create && !File.Exists(path))
        {
            throw new AuditStoreException($"SQLite audit database '{path}' does not exist.");
        }
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();
        var connection = new SqliteConnection(cs);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, $"PRAGMA busy_timeout={BusyTimeoutMs};", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new AuditStoreException($"Cannot open SQLite audit database '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Sets the sink's pragmas and creates the table when missing (integer layout, <c>seq</c> as the rowid); returns the
    /// table's shape.
    /// </summary>
    public static async Task<SqliteTable> CreateAsync(SqliteConnection connection, string table, bool fullSync, CancellationToken cancellationToken)
    {
        // 16 KiB pages (set before the file's first write; an existing database keeps its page size) and a 16 MiB page
        // cache: a batch of ~600-byte rows and their index entries dirties fewer pages (fewer B-tree splits, WAL
        // frames and checksums) than with the 4 KiB default. Measured ~15% less CPU per record (docs/benchmarks.md).
        await ExecAsync(connection, "PRAGMA page_size=16384; PRAGMA cache_size=-16384;", cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(fullSync ? "FULL" : "NORMAL")};", cancellationToken).ConfigureAwait(false);
        // An existing table keeps its shape (nothing is migrated; its missing indexes are added as before). A new one
        // gets integer ts and codes, and seq as its integer primary key.
        var shape = await DetectAsync(connection, table, cancellationToken).ConfigureAwait(false) ?? SqliteTable.New;
        var type = shape.Layout == SqliteLayout.Integer ? "INTEGER" : "TEXT";
        await ExecAsync(connection, AuditTableSql.Create(table, idColumn: shape.HasIdColumn ? "INTEGER PRIMARY KEY AUTOINCREMENT" : null, integerType: "INTEGER",
            timestampType: type, codeType: type, successOutcome: SuccessLiteral(shape.Layout)), cancellationToken).ConfigureAwait(false);
        return shape;
    }

    // How the partial outcome index names success: the integer layout's code, or the JSON name in the text layout.
    private static string SuccessLiteral(SqliteLayout layout) => layout == SqliteLayout.Integer
        ? SqliteCodes.Outcome(EventOutcome.Success).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : "'success'";

    /// <summary>
    /// The shape of an existing table: its layout, from the declared type of its <c>ts</c> column, and whether it has an
    /// <c>id</c> column; null when there is no such table.
    /// </summary>
    public static async Task<SqliteTable?> DetectAsync(SqliteConnection connection, string table, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM pragma_table_info(@table) WHERE name IN ('ts', 'id')";
        command.Parameters.AddWithValue("@table", table);
        string? declared = null;
        var hasId = false;
        var any = false;
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                any = true;
                if (reader.GetString(0) == "id")
                {
                    hasId = true;
                }
                else
                {
                    declared = reader.IsDBNull(1) ? "" : reader.GetString(1);
                }
            }
        }
        if (!any)
        {
            return null;
        }
        var layout = declared switch
        {
            null => throw new AuditStoreException($"SQLite audit table '{table}' has no ts column."),
            // SQLite's own affinity rules for a declared type (so a table rebuilt with CREATE TABLE … AS SELECT, which
            // declares INT and TEXT, is still read): "INT" anywhere is integer; "CHAR", "CLOB" or "TEXT" is text.
            _ when declared.Contains("INT", StringComparison.OrdinalIgnoreCase) => SqliteLayout.Integer,
            _ when declared.Contains("CHAR", StringComparison.OrdinalIgnoreCase) || declared.Contains("CLOB", StringComparison.OrdinalIgnoreCase)
                || declared.Contains("TEXT", StringComparison.OrdinalIgnoreCase) => SqliteLayout.Text,
            _ => throw new AuditStoreException($"SQLite audit table '{table}' has a ts column of unknown type '{declared}'."),
        };
        return new SqliteTable(layout, hasId);
    }

    /// <summary>The database's page size in bytes.</summary>
    public static async Task<long> PageSizeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_size;";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static AuditRecord ReadRecord(SqliteDataReader reader, long position)
    {
        AuditRow.RequireEvidence(reader, position);
        var kind = AuditRow.ParseKind(reader.GetString(1), position);
        // The json column's UTF-8 bytes as SQLite holds them (for TEXT, the same bytes GetString would decode): no
        // decode-and-re-encode per record.
        var json = reader.GetFieldValue<byte[]>(4);
        return new AuditRecord(reader.GetInt64(0), reader.GetString(2), reader.GetString(3), kind, json);
    }
}
