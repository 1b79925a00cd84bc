using System.Data.Common;
using System.Runtime.CompilerServices;
using Aztp.Core;

namespace Aztp.Audit.Internal;

/// <summary>
/// Query and retention over an audit table through plain ADO.NET, shared by the SQLite and PostgreSQL readers (the
/// schema is the same; only how a timestamp — and in SQLite's integer layout, type and outcome — is bound differs, and
/// the caller passes that).
/// </summary>
internal static class SqlAuditOps
{
    public static IAsyncEnumerable<AuditEntry> QueryAsync(DbConnection connection, string table, AuditQuery query,
        Func<DateTimeOffset, object> timestamp, CancellationToken ct) =>
        QueryAsync(connection, table, query, timestamp, typeValue: null, outcomeValue: null, ct);

    public static async IAsyncEnumerable<AuditEntry> QueryAsync(DbConnection connection, string table, AuditQuery query,
        Func<DateTimeOffset, object> timestamp, Func<SecurityEventType, object>? typeValue, Func<EventOutcome, object>? outcomeValue,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (sql, parameters) = QuerySql.Build(table, query, timestamp, typeValue, outcomeValue);
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                Bind(command, name, value);
            }
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var evt = SecurityEventJson.Deserialize(reader.GetString(1));
                    if (query.Matches(evt))
                    {
                        yield return new AuditEntry(reader.GetInt64(0), evt);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Deletes every record before the last checkpoint that precedes the first event to keep (events at or after
    /// <paramref name="cutoff"/>), in one transaction, so the trail stays verifiable from that checkpoint.
    /// </summary>
    public static async Task<AuditPruneResult> PruneAsync(DbConnection connection, string table, object cutoff, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            long cut;
            var find = connection.CreateCommand();
            await using (find.ConfigureAwait(false))
            {
                find.Transaction = transaction;
                find.CommandText = $"""
                    SELECT MAX(seq) FROM {table} WHERE kind = 'checkpoint' AND seq <
                      COALESCE((SELECT MIN(seq) FROM {table} WHERE kind = 'event' AND ts >= @cutoff), (SELECT MAX(seq) + 1 FROM {table}))
                    """;
                Bind(find, "cutoff", cutoff);
                var result = await find.ExecuteScalarAsync(ct).ConfigureAwait(false);
                if (result is null or DBNull)
                {
                    return new AuditPruneResult(0, 0);
                }
                cut = Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
            }
            int deleted;
            var delete = connection.CreateCommand();
            await using (delete.ConfigureAwait(false))
            {
                delete.Transaction = transaction;
                delete.CommandText = $"DELETE FROM {table} WHERE seq < @cut";
                Bind(delete, "cut", cut);
                deleted = await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return new AuditPruneResult(deleted, deleted == 0 ? 0 : cut);
        }
    }

    // Both providers take a name without its '@' prefix.
    private static void Bind(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
