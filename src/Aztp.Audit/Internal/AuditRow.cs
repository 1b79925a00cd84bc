namespace Aztp.Audit.Internal;

/// <summary>Shared helpers for the database rows: timestamp text format, kind names, table names.</summary>
internal static class AuditRow
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static AuditRecordKind ParseKind(string name, long position) => name switch
    {
        "event" => AuditRecordKind.Event,
        "checkpoint" => AuditRecordKind.Checkpoint,
        _ => throw new AuditStoreException($"Row {position} has unknown kind '{name}'.", position, tornTail: false),
    };

    // The columns both readers select, in this order: seq, kind, prev_hash, hash, json. All five are evidence.
    private static readonly string[] EvidenceColumns = ["seq", "kind", "prev_hash", "hash", "json"];

    /// <summary>
    /// Refuses a row with NULL in an evidence column. The tables declare them NOT NULL, but someone with write access can
    /// rebuild a table without the constraints: such a row is a break at its position, not a reader crash.
    /// </summary>
    /// <exception cref="AuditStoreException">An evidence column is NULL.</exception>
    public static void RequireEvidence(System.Data.Common.DbDataReader reader, long position)
    {
        for (var i = 0; i < EvidenceColumns.Length; i++)
        {
            if (reader.IsDBNull(i))
            {
                throw new AuditStoreException($"Row {position} has no {EvidenceColumns[i]} (NULL).", position, tornTail: false);
            }
        }
    }

    public static string ValidateTableName(string table)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        foreach (var c in table)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                throw new ArgumentException($"Table name '{table}' must use only a-z, 0-9 and '_'.", nameof(table));
            }
        }
        return table;
    }
}
