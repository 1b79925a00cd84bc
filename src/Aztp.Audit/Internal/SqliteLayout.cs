using Aztp.Core;

namespace Aztp.Audit.Internal;

/// <summary>
/// How an SQLite audit table stores its indexed columns. Told apart by the declared type of <c>ts</c>
/// (<c>PRAGMA table_info</c>): <c>TEXT</c> is <see cref="Text"/>, <c>INTEGER</c> is <see cref="Integer"/>. A table keeps
/// the layout it was created with; both are read, written, queried, pruned and verified alike.
/// </summary>
internal enum SqliteLayout
{
    /// <summary>
    /// Tables created before integer columns: <c>ts</c> as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> text, <c>type</c>,
    /// <c>outcome</c> and <c>severity</c> as their JSON names.
    /// </summary>
    Text,

    /// <summary>
    /// Tables created since: <c>ts</c> as Unix milliseconds (UTC) and <c>type</c>, <c>outcome</c>, <c>severity</c> as
    /// the small codes of <see cref="SqliteCodes"/> — shorter index keys compared as integers (less CPU and WAL per row).
    /// </summary>
    Integer,
}

/// <summary>
/// The shape of an SQLite audit table: how it stores its indexed columns, and what orders its rows. Tables with an
/// <c>id</c> column (every table made before seq became the key, in either layout) are stored in <c>id</c> order; a table
/// without one (what the sink creates now: <c>seq INTEGER PRIMARY KEY</c>) in rowid order, which there is seq itself.
/// A table rebuilt by hand without its key (<c>CREATE TABLE … AS SELECT</c>) is read in rowid order — the order its
/// rows were stored in — so nothing about such a rebuild is hidden from <c>verify</c>.
/// </summary>
internal readonly record struct SqliteTable(SqliteLayout Layout, bool HasIdColumn)
{
    /// <summary>What the sink creates when the table is missing.</summary>
    public static SqliteTable New => new(SqliteLayout.Integer, HasIdColumn: false);

    /// <summary>The column that gives storage order (what <c>verify</c> walks and the tail read takes the last of).</summary>
    public string OrderColumn => HasIdColumn ? "id" : "rowid";
}

/// <summary>
/// The integer codes of <see cref="SqliteLayout.Integer"/> (documented in docs/audit.md; stable — never renumber).
/// Spelled out rather than cast from the enums so that reordering an enum cannot change stored meaning.
/// </summary>
internal static class SqliteCodes
{
    public static long Type(SecurityEventType type) => type switch
    {
        SecurityEventType.Identity => 1,
        SecurityEventType.Policy => 2,
        SecurityEventType.Rpc => 3,
        SecurityEventType.Monitoring => 4,
        SecurityEventType.System => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type."),
    };

    public static long Outcome(EventOutcome outcome) => outcome switch
    {
        EventOutcome.Success => 1,
        EventOutcome.Failure => 2,
        EventOutcome.Denied => 3,
        EventOutcome.Error => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown event outcome."),
    };

    public static long Severity(EventSeverity severity) => severity switch
    {
        EventSeverity.Info => 1,
        EventSeverity.Warning => 2,
        EventSeverity.Error => 3,
        EventSeverity.Critical => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown event severity."),
    };

    /// <summary>The <c>ts</c> value: Unix milliseconds, truncated like the JSON's <c>.fff</c>.</summary>
    public static long Timestamp(DateTimeOffset timestamp) => timestamp.ToUnixTimeMilliseconds();
}
