using System.Globalization;
using Aztp.Core;

namespace Aztp.Audit.Internal;

/// <summary>The indexed columns of a database row, taken from a record's event or checkpoint.</summary>
internal readonly record struct AuditRow(string? EventId, DateTimeOffset Timestamp, string? Type, string? Agent, string? Outcome,
    string? Severity, string? TraceId, string? Actor, string Json)
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public string TimestampText => Timestamp.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static AuditRow From(AuditRecord record)
    {
        var json = record.PayloadText;
        if (record.Kind == AuditRecordKind.Event)
        {
            var e = record.SourceEvent ?? record.ReadEvent();
            return new AuditRow(e.Id, e.Timestamp, SecurityEventJson.TypeName(e.Type), e.AgentId, SecurityEventJson.OutcomeName(e.Outcome),
                SecurityEventJson.SeverityName(e.Severity), e.TraceId, e.Actor?.Id, json);
        }
        var c = record.SourceCheckpoint ?? record.ReadCheckpoint();
        return new AuditRow(null, c.Timestamp, null, c.AgentId, null, null, null, c.SpiffeId, json);
    }

    public static string KindName(AuditRecordKind kind) => kind == AuditRecordKind.Event ? "event" : "checkpoint";

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
