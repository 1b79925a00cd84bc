namespace Aztp.Audit.Internal;

/// <summary>
/// The audit table and its indexes, one definition for both databases; only the id, integer and timestamp column
/// types differ by dialect. The trace index is partial (<c>WHERE trace_id IS NOT NULL</c>): most events carry no trace
/// id and a lookup is always by a given id, so the NULL rows are never searched and need no index entry (both databases
/// use the partial index for <c>trace_id = ?</c>). Stores created before that keep their full index (same name).
/// <c>codeType</c> is the type of <c>type</c>, <c>outcome</c> and <c>severity</c>: <c>TEXT</c> (names) in
/// PostgreSQL and older SQLite tables, <c>INTEGER</c> (codes) in new SQLite tables (<see cref="SqliteLayout"/>).
/// With <c>idColumn</c> null (new tables in both databases) there is no separate <c>id</c>: <c>seq</c> itself is the
/// primary key (in SQLite the rowid, so the table is stored in seq order), and there is no seq index — one B-tree fewer
/// per row (in PostgreSQL the id key and the seq index become the one seq key, and no sequence is called).
/// The outcome index is partial too (<c>WHERE outcome &lt;&gt; success</c>, <c>successOutcome</c> being the
/// stored form of success: <c>'success'</c> or its integer code): successes are most of a trail, so a lookup of them by
/// outcome alone reads most rows either way, while denials, failures and errors are what a lookup by outcome is for.
/// <see cref="QuerySql"/> repeats the predicate in a query for any other outcome, so both databases can use the index.
/// With <c>infoSeverity</c> (new PostgreSQL tables: <c>'info'</c>) the severity index is partial in the same way
/// (<c>WHERE severity &lt;&gt; 'info'</c>): informational events are most of a trail, and PostgreSQL's planner proves
/// that <c>severity = 'warning'</c> (or any other level) implies the predicate, so such a lookup uses the index.
/// </summary>
internal static class AuditTableSql
{
    public static string Create(string table, string? idColumn, string integerType, string timestampType, string codeType = "TEXT", string successOutcome = "'success'",
        string? infoSeverity = null) => $"""
            CREATE TABLE IF NOT EXISTS {table} (
              {(idColumn is null ? $"seq {integerType} PRIMARY KEY NOT NULL" : $"id {idColumn},\n  seq {integerType} NOT NULL")},
              kind TEXT NOT NULL,
              prev_hash TEXT NOT NULL,
              hash TEXT NOT NULL,
              event_id TEXT,
              ts {timestampType} NOT NULL,
              type {codeType},
              agent TEXT,
              outcome {codeType},
              severity {codeType},
              trace_id TEXT,
              actor TEXT,
              json TEXT NOT NULL);
            {(idColumn is null ? "" : $"CREATE INDEX IF NOT EXISTS {table}_seq ON {table}(seq);")}
            CREATE INDEX IF NOT EXISTS {table}_ts ON {table}(ts);
            CREATE INDEX IF NOT EXISTS {table}_type ON {table}(type, outcome);
            CREATE INDEX IF NOT EXISTS {table}_outcome ON {table}(outcome) WHERE outcome <> {successOutcome};
            CREATE INDEX IF NOT EXISTS {table}_agent ON {table}(agent);
            CREATE INDEX IF NOT EXISTS {table}_severity ON {table}(severity){(infoSeverity is null ? "" : $" WHERE severity <> {infoSeverity}")};
            CREATE INDEX IF NOT EXISTS {table}_trace ON {table}(trace_id) WHERE trace_id IS NOT NULL;
            CREATE INDEX IF NOT EXISTS {table}_actor ON {table}(actor);
            """;
}
