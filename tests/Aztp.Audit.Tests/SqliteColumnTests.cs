using Aztp.Audit;
using Aztp.Audit.Internal;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Tests;

/// <summary>The SQLite sink binds its row natively from spans: every column must hold exactly what the schema says.</summary>
public sealed class SqliteColumnTests
{
    private const string Select = """
        SELECT seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json,
               typeof(kind), typeof(prev_hash), typeof(hash), typeof(ts), typeof(json), typeof(event_id), typeof(type),
               typeof(outcome), typeof(severity)
        FROM aztp_audit ORDER BY rowid
        """;

    private static List<SecurityEvent> Events()
    {
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        return
        [
            f.PolicyEvaluated(false, "spiffe://company.org/hr", "calculate-tax", "Zugriff verweigert — ü/ß/日本/😀 \"quoted\"", ["hr-tax"]),
            f.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.7"),
            f.IdentityFailed("expired", "spiffe://company.org/hr", "10.0.0.7"),
        ];
    }

    private static async Task WriteAsync(string path, TestPki pki, List<SecurityEvent> events)
    {
        using var signer = pki.Signer();
        await using var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, AgentId = "finance", Signer = signer });
        await sink.HandleBatchAsync(events, CancellationToken.None);
    }

    [Fact]
    public async Task SqliteSink_NewStore_UsesIntegerTimestampAndCodes_AndStoresTextColumnsExactly()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("cols.db");
        var events = Events();
        await WriteAsync(path, pki, events);

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Select;
        await using var reader = await command.ExecuteReaderAsync();
        var prev = AuditChain.GenesisHash;
        for (var i = 0; i < events.Count; i++)
        {
            Assert.True(await reader.ReadAsync());
            var e = events[i];
            EventRow.AssertColumns(reader, i + 1, prev, e, codes: true);
            // ts: Unix milliseconds of the event time, the same instant the JSON's ".fff" timestamp names.
            Assert.Equal(e.Timestamp.ToUnixTimeMilliseconds(), reader.GetInt64(5));
            Assert.Equal(["text", "text", "text", "integer", "text", "text", "integer", "integer", "integer"],
                Enumerable.Range(13, 9).Select(reader.GetString).ToArray());
            prev = reader.GetString(3);
        }
        Assert.True(await reader.ReadAsync());
        var checkpoint = AuditCheckpoint.Parse(System.Text.Encoding.UTF8.GetBytes(reader.GetString(12)));
        Assert.Equal("checkpoint", reader.GetString(1));
        Assert.Equal(prev, reader.GetString(2));
        Assert.True(reader.IsDBNull(4));
        Assert.Equal(checkpoint.Timestamp.ToUnixTimeMilliseconds(), reader.GetInt64(5));
        Assert.True(reader.IsDBNull(6) && reader.IsDBNull(8) && reader.IsDBNull(9) && reader.IsDBNull(10));
        Assert.Equal("finance", reader.GetString(7));
        Assert.Equal("spiffe://company.org/finance", reader.GetString(11));
        Assert.Equal("text", reader.GetString(17));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task SqliteSink_StoreInTheTextLayout_KeepsWritingItsOwnLayout()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("old.db");
        var store = new SqliteStore(path);
        await store.ExecAsync(SqliteStore.TextLayoutDdl, 0);
        var events = Events();
        await WriteAsync(path, pki, events[..2]);
        await WriteAsync(path, pki, events[2..]);

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Select + " LIMIT 4";
        await using var reader = await command.ExecuteReaderAsync();
        var prev = AuditChain.GenesisHash;
        var seq = 0L;
        foreach (var e in events)
        {
            Assert.True(await reader.ReadAsync());
            if (reader.GetString(1) == "checkpoint")
            {
                seq++;
                prev = reader.GetString(3);
                Assert.True(await reader.ReadAsync());
            }
            EventRow.AssertColumns(reader, ++seq, prev, e);
            Assert.Equal(e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), reader.GetString(5));
            Assert.All(Enumerable.Range(13, 9).Select(reader.GetString), t => Assert.Equal("text", t));
            prev = reader.GetString(3);
        }
    }
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SqliteSink_VariedStream_EveryRowHoldsItsOwnColumns_AcrossCheckpointsAndRepeatedValues(bool textLayout)
    {
        // The insert skips binding a column whose value equals the previous row's: runs of equal and changing values,
        // NULLs, checkpoint rows in between and several batches must still give each row exactly its own columns.
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("varied.db");
        if (textLayout)
        {
            await new SqliteStore(path).ExecAsync(SqliteStore.TextLayoutDdl, 0);
        }
        var events = new List<SecurityEvent>();
        for (var i = 0; i < 400; i++)
        {
            events.Add(i % 9 == 0 ? TestEvents.WithTrace(i % 18 == 0 ? "4bf92f3577b34da6a3ce929d0e0e4736" : "0af7651916cd43dd8448eb211c80319c", i)
                : TestEvents.Make(i / 3));
        }
        using (var signer = pki.Signer())
        await using (var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, AgentId = "finance", Signer = signer, CheckpointEvery = 37 }))
        {
            foreach (var size in new[] { 1, 300, 2, 97 })
            {
                var batch = events.GetRange(0, size);
                events.RemoveRange(0, size);
                events.AddRange(batch);
                await sink.HandleBatchAsync(batch, CancellationToken.None);
            }
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Select;
        await using var reader = await command.ExecuteReaderAsync();
        var prev = AuditChain.GenesisHash;
        var seq = 0L;
        var next = 0;
        while (await reader.ReadAsync())
        {
            seq++;
            if (reader.GetString(1) == "checkpoint")
            {
                var checkpoint = AuditCheckpoint.Parse(System.Text.Encoding.UTF8.GetBytes(reader.GetString(12)));
                Assert.Equal(seq - 1, checkpoint.CoveredSeq);
                Assert.True(reader.IsDBNull(4) && reader.IsDBNull(6) && reader.IsDBNull(8) && reader.IsDBNull(9) && reader.IsDBNull(10));
                Assert.Equal("finance", reader.GetString(7));
                Assert.Equal("spiffe://company.org/finance", reader.GetString(11));
            }
            else
            {
                EventRow.AssertColumns(reader, seq, prev, events[next++], codes: !textLayout);
            }
            prev = reader.GetString(3);
        }
        Assert.Equal(events.Count, next);
    }

    public static TheoryData<string, string> IndexedLookups => new()
    {
        { "ts >= 1", "aztp_audit_ts" },
        { "type = 2", "aztp_audit_type" },
        { "type = 2 AND outcome = 3", "aztp_audit_type" },
        { "outcome = 3 AND outcome <> 1", "aztp_audit_outcome" },
        { "agent = 'finance'", "aztp_audit_agent" },
        { "severity = 2", "aztp_audit_severity" },
        { "trace_id = 'abc'", "aztp_audit_trace" },
        { "actor = 'spiffe://company.org/hr'", "aztp_audit_actor" },
        { "seq > 5", "INTEGER PRIMARY KEY" },
    };

    [Theory]
    [MemberData(nameof(IndexedLookups))]
    public async Task SqliteSink_NewStore_EachIndexedColumn_IsLookedUpThroughItsIndex(string where, string index)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("plan.db");
        await WriteAsync(path, pki, Events());

        var plan = string.Join(" | ", await RowsAsync(path, $"EXPLAIN QUERY PLAN SELECT seq, json FROM aztp_audit WHERE {where}", 3));

        Assert.Contains(index, plan, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN aztp_audit", plan.Replace("USING", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EventOutcome.Denied, true)]
    [InlineData(EventOutcome.Failure, true)]
    [InlineData(EventOutcome.Error, true)]
    [InlineData(EventOutcome.Success, false)]
    public async Task SqliteReader_QueryByOutcomeAlone_UsesThePartialOutcomeIndex_ExceptForSuccess(EventOutcome outcome, bool indexed)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("outcome.db");
        await WriteAsync(path, pki, Events());
        // The statement the reader runs for `aztp audit query --outcome …` (integer layout: codes bound).
        var (sql, parameters) = QuerySql.Build("aztp_audit", new AuditQuery { Outcome = outcome }, t => SqliteCodes.Timestamp(t),
            t => SqliteCodes.Type(t), o => SqliteCodes.Outcome(o));

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue("@" + name, value);
        }
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Equal(indexed, plan.Any(d => d.Contains("aztp_audit_outcome", StringComparison.Ordinal)));
        Assert.Contains(" WHERE outcome <> 1", (string?)(await RowsAsync(path, "SELECT sql FROM sqlite_master WHERE name = 'aztp_audit_outcome'", 0)).Single(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqliteSink_NewStore_SeqIsTheRowid_NoIdColumnNorSeqIndex_AndASeqCannotBeStoredTwice()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("key.db");
        await WriteAsync(path, pki, Events());

        Assert.DoesNotContain("id", await RowsAsync(path, "SELECT name FROM pragma_table_info('aztp_audit')", 0));
        Assert.Equal(["aztp_audit_actor", "aztp_audit_agent", "aztp_audit_outcome", "aztp_audit_severity", "aztp_audit_trace", "aztp_audit_ts", "aztp_audit_type"],
            await RowsAsync(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'aztp_audit' ORDER BY name", 0));
        Assert.Equal(["1", "2", "3", "4"], await RowsAsync(path, "SELECT rowid FROM aztp_audit ORDER BY seq", 0));
        var store = new SqliteStore(path);
        var ex = await Assert.ThrowsAsync<SqliteException>(() => store.ExecAsync(
            "INSERT INTO aztp_audit (seq, kind, prev_hash, hash, ts, json) SELECT seq, kind, prev_hash, hash, ts, json FROM aztp_audit WHERE seq = @s", 2));
        Assert.Equal(19, ex.SqliteErrorCode); // SQLITE_CONSTRAINT
    }

    private static async Task<List<string>> RowsAsync(string path, string sql, int column)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(Convert.ToString(reader.GetValue(column), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return rows;
    }
}
