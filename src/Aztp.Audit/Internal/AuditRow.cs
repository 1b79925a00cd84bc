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
