using System.Text;
using Aztp.Audit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Aztp.Audit.Tests;

public enum StoreKind
{
    Jsonl,
    Sqlite,
    Postgres,

    /// <summary>SQLite with the table pre-created in the layout of earlier versions (text ts, type, outcome, severity).</summary>
    SqliteTextLayout,

    /// <summary>
    /// SQLite with the table pre-created as the unreleased integer layout before seq became the key (an <c>id</c>
    /// column and a seq index, integer ts and codes).
    /// </summary>
    SqliteIdIntegerLayout,

    /// <summary>
    /// PostgreSQL with the table pre-created as versions before seq became its key made it (an <c>id</c> BIGSERIAL key
    /// and a seq index).
    /// </summary>
    PostgresIdLayout,
}

/// <summary>A store under test, with the tampering an attacker with write access could do.</summary>
internal abstract class TestStore : IDisposable
{
    public abstract string Location { get; }

    public abstract Task<AuditSink> OpenSinkAsync(Action<AuditSinkOptions> configure);

    public abstract Task EditAsync(long seq);

    public abstract Task DeleteAsync(long seq);

    /// <summary>Replays an existing record (a second copy stored later).</summary>
    public abstract Task DuplicateAsync(long seq);

    /// <summary>Swaps the stored order of records seq and seq+1.</summary>
    public abstract Task SwapAsync(long seq);

    /// <summary>Deletes every record after seq.</summary>
    public abstract Task TruncateAfterAsync(long seq);

    public abstract void Dispose();

    public static TestStore Create(StoreKind kind, TempDir dir, string? postgres = null) => kind switch
    {
        StoreKind.Jsonl => new JsonlStore(dir.File("audit.jsonl")),
        StoreKind.Sqlite => new SqliteStore(dir.File("audit.db")),
        StoreKind.SqliteTextLayout => new SqliteStore(dir.File("audit.db"), SqliteStore.TextLayoutDdl),
        StoreKind.SqliteIdIntegerLayout => new SqliteStore(dir.File("audit.db"), SqliteStore.IdIntegerLayoutDdl),
        StoreKind.Postgres => new PostgresStore(postgres!, PostgresServer.NewTable(), dir.File("spill.jsonl")),
        StoreKind.PostgresIdLayout => new PostgresStore(postgres!, PostgresServer.NewTable(), dir.File("spill.jsonl"), PostgresStore.IdLayoutDdl),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

internal sealed class JsonlStore(string path) : TestStore
{
    public string Path => path;

    public override string Location => path;

    public override async Task<AuditSink> OpenSinkAsync(Action<AuditSinkOptions> configure)
    {
        var options = new JsonlAuditSinkOptions { Path = path };
        configure(options);
        return await JsonlAuditSink.OpenAsync(options);
    }

    public List<string> Lines() => File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    public void Save(List<string> lines) => File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));

    private int IndexOf(long seq) => Lines().FindIndex(l => l.StartsWith($"{{\"seq\":{seq},", StringComparison.Ordinal));

    public override Task EditAsync(long seq)
    {
        var lines = Lines();
        var i = IndexOf(seq);
        var edited = lines[i].Replace("\"agentId\":\"finance\"", "\"agentId\":\"mallory\"", StringComparison.Ordinal);
        Assert.NotEqual(lines[i], edited);
        lines[i] = edited;
        Save(lines);
        return Task.CompletedTask;
    }

    public override Task DeleteAsync(long seq)
    {
        var lines = Lines();
        lines.RemoveAt(IndexOf(seq));
        Save(lines);
        return Task.CompletedTask;
    }

    public override Task DuplicateAsync(long seq)
    {
        var lines = Lines();
        var i = IndexOf(seq);
        lines.Insert(i + 2, lines[i]);
        Save(lines);
        return Task.CompletedTask;
    }

    public override Task SwapAsync(long seq)
    {
        var lines = Lines();
        var i = IndexOf(seq);
        (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]);
        Save(lines);
        return Task.CompletedTask;
    }

    public override Task TruncateAfterAsync(long seq)
    {
        var lines = Lines();
        Save(lines.Take(IndexOf(seq) + 1).ToList());
        return Task.CompletedTask;
    }

    public override void Dispose()
    {
    }
}

/// <summary>The tampering shared by the database stores: plain SQL on the audit table (named aztp_audit here), seq bound as @s.</summary>
internal abstract class SqlStore : TestStore
{
    public abstract Task ExecAsync(string sql, long seq);

    public override Task EditAsync(long seq) =>
        ExecAsync("UPDATE aztp_audit SET json = replace(json, '\"agentId\":\"finance\"', '\"agentId\":\"mallory\"') WHERE seq = @s", seq);

    public override Task DeleteAsync(long seq) => ExecAsync("DELETE FROM aztp_audit WHERE seq = @s", seq);

    public override Task DuplicateAsync(long seq) => ExecAsync(
        "INSERT INTO aztp_audit (seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json) " +
        "SELECT seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json FROM aztp_audit WHERE seq = @s", seq);

    public override Task SwapAsync(long seq) => ExecAsync(SwapSql("id"), seq);

    /// <summary>Exchanges the storage positions (<paramref name="order"/>: id or rowid) of records seq and seq + 1.</summary>
    protected static string SwapSql(string order) => $"""
        CREATE TEMP TABLE swap_ids AS SELECT (SELECT {order} FROM aztp_audit WHERE seq = @s) AS a, (SELECT {order} FROM aztp_audit WHERE seq = @s + 1) AS b;
        UPDATE aztp_audit SET {order} = -1 WHERE {order} = (SELECT a FROM swap_ids);
        UPDATE aztp_audit SET {order} = (SELECT a FROM swap_ids) WHERE {order} = (SELECT b FROM swap_ids);
        UPDATE aztp_audit SET {order} = (SELECT b FROM swap_ids) WHERE {order} = -1;
        """;

    public override Task TruncateAfterAsync(long seq) => ExecAsync("DELETE FROM aztp_audit WHERE seq > @s", seq);

    public override void Dispose()
    {
    }
}

internal sealed class SqliteStore(string path, string? ddl = null) : SqlStore
{
    /// <summary>
    /// A table the sink created (seq is its integer primary key) cannot hold a seq twice or out of seq order: an attacker
    /// first rebuilds it without the key (rows keep their order as rowids), then duplicates or reorders rows there.
    /// </summary>
    private const string Loosen = """
        CREATE TABLE loose AS SELECT * FROM aztp_audit ORDER BY seq;
        DROP TABLE aztp_audit;
        ALTER TABLE loose RENAME TO aztp_audit;
        """;

    /// <summary>The unreleased integer layout of the previous round: an id key, a seq index, integer ts and codes.</summary>
    public const string IdIntegerLayoutDdl = """
        PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS aztp_audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          seq INTEGER NOT NULL,
          kind TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          event_id TEXT,
          ts INTEGER NOT NULL,
          type INTEGER,
          agent TEXT,
          outcome INTEGER,
          severity INTEGER,
          trace_id TEXT,
          actor TEXT,
          json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS aztp_audit_seq ON aztp_audit(seq);
        CREATE INDEX IF NOT EXISTS aztp_audit_ts ON aztp_audit(ts);
        CREATE INDEX IF NOT EXISTS aztp_audit_type ON aztp_audit(type, outcome);
        CREATE INDEX IF NOT EXISTS aztp_audit_agent ON aztp_audit(agent);
        CREATE INDEX IF NOT EXISTS aztp_audit_severity ON aztp_audit(severity);
        CREATE INDEX IF NOT EXISTS aztp_audit_trace ON aztp_audit(trace_id) WHERE trace_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS aztp_audit_actor ON aztp_audit(actor);
        """;

    /// <summary>
    /// The table exactly as versions before the integer layout created it (text ts, type, outcome and severity), so
    /// the sink, readers, query, prune and verify are exercised on a store made by that code.
    /// </summary>
    public const string TextLayoutDdl = """
        PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS aztp_audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          seq INTEGER NOT NULL,
          kind TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          event_id TEXT,
          ts TEXT NOT NULL,
          type TEXT,
          agent TEXT,
          outcome TEXT,
          severity TEXT,
          trace_id TEXT,
          actor TEXT,
          json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS aztp_audit_seq ON aztp_audit(seq);
        CREATE INDEX IF NOT EXISTS aztp_audit_ts ON aztp_audit(ts);
        CREATE INDEX IF NOT EXISTS aztp_audit_type ON aztp_audit(type, outcome);
        CREATE INDEX IF NOT EXISTS aztp_audit_agent ON aztp_audit(agent);
        CREATE INDEX IF NOT EXISTS aztp_audit_severity ON aztp_audit(severity);
        CREATE INDEX IF NOT EXISTS aztp_audit_trace ON aztp_audit(trace_id) WHERE trace_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS aztp_audit_actor ON aztp_audit(actor);
        """;

    public override string Location => "sqlite:" + path;

    public override async Task<AuditSink> OpenSinkAsync(Action<AuditSinkOptions> configure)
    {
        if (ddl is not null)
        {
            await ExecAsync(ddl, 0);
        }
        var options = new SqliteAuditSinkOptions { Path = path };
        configure(options);
        return await SqliteAuditSink.OpenAsync(options);
    }

    public override Task DuplicateAsync(long seq) => ddl is null ? LoosenThenAsync(base.DuplicateAsync, seq) : base.DuplicateAsync(seq);

    public override Task SwapAsync(long seq) => ddl is null ? ExecAsync(Loosen + SwapSql("rowid"), seq) : base.SwapAsync(seq);

    private async Task LoosenThenAsync(Func<long, Task> tamper, long seq)
    {
        await ExecAsync(Loosen, 0);
        await tamper(seq);
    }

    public override async Task ExecAsync(string sql, long seq)
    {
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("@s", seq);
        await cmd.ExecuteNonQueryAsync();
    }

}

internal sealed class PostgresStore(string connectionString, string table, string spill, string? ddl = null) : SqlStore
{
    /// <summary>The table exactly as versions before seq became the key created it: an id key and a seq index.</summary>
    public const string IdLayoutDdl = """
        CREATE TABLE IF NOT EXISTS aztp_audit (
          id BIGSERIAL PRIMARY KEY,
          seq BIGINT NOT NULL,
          kind TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL,
          event_id TEXT,
          ts TIMESTAMPTZ NOT NULL,
          type TEXT,
          agent TEXT,
          outcome TEXT,
          severity TEXT,
          trace_id TEXT,
          actor TEXT,
          json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS aztp_audit_seq ON aztp_audit(seq);
        CREATE INDEX IF NOT EXISTS aztp_audit_ts ON aztp_audit(ts);
        CREATE INDEX IF NOT EXISTS aztp_audit_type ON aztp_audit(type, outcome);
        CREATE INDEX IF NOT EXISTS aztp_audit_outcome ON aztp_audit(outcome) WHERE outcome <> 'success';
        CREATE INDEX IF NOT EXISTS aztp_audit_agent ON aztp_audit(agent);
        CREATE INDEX IF NOT EXISTS aztp_audit_severity ON aztp_audit(severity);
        CREATE INDEX IF NOT EXISTS aztp_audit_trace ON aztp_audit(trace_id) WHERE trace_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS aztp_audit_actor ON aztp_audit(actor);
        """;

    public string Table => table;

    /// <summary>True for a table the sink created (seq is its key, no id column).</summary>
    public bool SeqKeyed => ddl is null;

    public override string Location => "postgres:" + connectionString;

    public override async Task<AuditSink> OpenSinkAsync(Action<AuditSinkOptions> configure)
    {
        if (ddl is not null)
        {
            await ExecAsync(ddl, 0);
        }
        var options = new PostgresAuditSinkOptions { ConnectionString = connectionString, Table = table, SpillPath = spill };
        configure(options);
        return await PostgresAuditSink.OpenAsync(options);
    }

    /// <summary>A seq-keyed table holds each seq once: an attacker drops the key first, then stores the copy.</summary>
    public override async Task DuplicateAsync(long seq)
    {
        if (SeqKeyed)
        {
            await ExecAsync("ALTER TABLE aztp_audit DROP CONSTRAINT aztp_audit_pkey", 0);
        }
        await base.DuplicateAsync(seq);
    }

    /// <summary>
    /// A seq-keyed table is read in seq order: records change places by exchanging their seq values. The verifier then
    /// finds the later record's content at seq, and reports the break at seq (not seq + 1, as where positions are ids).
    /// </summary>
    public override Task SwapAsync(long seq) => ExecAsync(SwapSql(SeqKeyed ? "seq" : "id"), seq);

    /// <summary>Where the verifier reports "swap <paramref name="seq"/>" (see <see cref="SwapAsync"/>).</summary>
    public long SwapReportedAt(long seq) => SeqKeyed ? seq : seq + 1;

    public override async Task ExecAsync(string sql, long seq)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql.Replace("aztp_audit", table, StringComparison.Ordinal);
        cmd.Parameters.AddWithValue("s", seq);
        await cmd.ExecuteNonQueryAsync();
    }

}

internal static class Bytes
{
    public static string Utf8(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);
}
