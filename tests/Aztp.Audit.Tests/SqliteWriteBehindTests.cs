using Aztp.Audit;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Tests;

/// <summary>The SQLite sink's opt-in write-behind mode and stores created by the previous schema.</summary>
public sealed class SqliteWriteBehindTests
{
    [Fact]
    public async Task WriteBehind_ThroughTheMonitor_StoresEveryEventOnceInOrder_AndVerifies()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("wb.db");
        var events = TestEvents.Many(5000);
        var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions
        {
            Path = path, Signer = signer, CheckpointEvery = 700, MaxBatchSize = 256, WriteBehind = true, MaxPendingBatches = 2,
        });
        await using (sink)
        {
            await TestMonitor.EmitAllAsync(sink, events);
            await sink.FlushAsync();
            Assert.Equal(sink.LastSeq, sink.StoredSeq);
        }

        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(events.Count, result.Events);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, events);
    }

    [Fact]
    public async Task WriteBehind_FailedCommit_IsReportedByTheNextBatch_AndTheChainContinuesFromTheStoredTail()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("wbfail.db");
        var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 1000, WriteBehind = true });
        var stored = new List<SecurityEvent>();
        await using (sink)
        {
            var first = TestEvents.Many(10);
            await sink.HandleBatchAsync(first, CancellationToken.None);
            await sink.FlushAsync();
            stored.AddRange(first);
            Assert.Equal(10, sink.StoredSeq);

            // Another connection makes every insert fail: the writer's commit of the next batch fails.
            await ExecAsync(path, "CREATE TRIGGER refuse BEFORE INSERT ON aztp_audit BEGIN SELECT RAISE(ABORT, 'refused by test'); END;");
            await sink.HandleBatchAsync(TestEvents.Many(5), CancellationToken.None); // accepted, then its commit fails
            var flush = await Assert.ThrowsAsync<AuditStoreException>(() => sink.FlushAsync());
            Assert.Contains("refused by test", flush.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<AuditStoreException>(() => sink.HandleBatchAsync(TestEvents.Many(3), CancellationToken.None).AsTask());
            Assert.Equal(10, sink.StoredSeq);

            await ExecAsync(path, "DROP TRIGGER refuse;");
            var after = Enumerable.Range(100, 7).Select(TestEvents.Make).ToList();
            await sink.HandleBatchAsync(after, CancellationToken.None);
            await sink.FlushAsync();
            stored.AddRange(after);
            Assert.Equal(17, sink.StoredSeq);
        }

        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(17, result.Events);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, stored);
    }

    [Fact]
    public async Task StoreCreatedByThePreviousSchema_KeepsItsIndexes_TakesNewRecords_Verifies_AndQueriesByTrace()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("old.db");
        // The table exactly as the previous version created it (full trace_id index, AUTOINCREMENT id).
        await ExecAsync(path, """
            CREATE TABLE aztp_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, kind TEXT NOT NULL,
              prev_hash TEXT NOT NULL, hash TEXT NOT NULL, event_id TEXT, ts TEXT NOT NULL, type TEXT, agent TEXT, outcome TEXT,
              severity TEXT, trace_id TEXT, actor TEXT, json TEXT NOT NULL);
            CREATE INDEX aztp_audit_seq ON aztp_audit(seq);
            CREATE INDEX aztp_audit_ts ON aztp_audit(ts);
            CREATE INDEX aztp_audit_type ON aztp_audit(type, outcome);
            CREATE INDEX aztp_audit_agent ON aztp_audit(agent);
            CREATE INDEX aztp_audit_severity ON aztp_audit(severity);
            CREATE INDEX aztp_audit_trace ON aztp_audit(trace_id);
            CREATE INDEX aztp_audit_actor ON aztp_audit(actor);
            """);
        const string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        var events = TestEvents.Many(20);
        events.Add(TestEvents.WithTrace(trace, 20));
        await using (var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer }))
        {
            await sink.HandleBatchAsync(events, CancellationToken.None);
        }

        Assert.Equal("CREATE INDEX aztp_audit_trace ON aztp_audit(trace_id)", (string?)await ScalarAsync(path, "SELECT sql FROM sqlite_master WHERE name = 'aztp_audit_trace'"));
        Assert.Equal(4096L, await ScalarAsync(path, "PRAGMA page_size"));
        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        await using var reader = await SqliteAuditReader.OpenAsync(path);
        var found = new List<AuditEntry>();
        await foreach (var entry in reader.QueryAsync(new AuditQuery { TraceId = trace }))
        {
            found.Add(entry);
        }
        Assert.Equal(events[^1], Assert.Single(found).Event);
    }

    [Fact]
    public async Task NewStore_HasAPartialTraceIndex_ThatTheTraceQueryUses()
    {
        using var dir = new TempDir();
        var path = dir.File("new.db");
        const string trace = "0af7651916cd43dd8448eb211c80319c";
        var events = TestEvents.Many(50);
        events.Add(TestEvents.WithTrace(trace, 50));
        await using (var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path }))
        {
            await sink.HandleBatchAsync(events, CancellationToken.None);
        }

        Assert.Equal(16384L, await ScalarAsync(path, "PRAGMA page_size"));
        Assert.EndsWith("WHERE trace_id IS NOT NULL", (string?)await ScalarAsync(path, "SELECT sql FROM sqlite_master WHERE name = 'aztp_audit_trace'"), StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(path, "SELECT COUNT(*) FROM aztp_audit INDEXED BY aztp_audit_trace WHERE trace_id IS NOT NULL"));
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var explain = c.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN SELECT seq, json FROM aztp_audit WHERE kind = 'event' AND trace_id = @t ORDER BY seq";
        explain.Parameters.AddWithValue("@t", trace);
        var details = new List<string>();
        await using (var r = await explain.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                details.Add(r.GetString(3));
            }
        }
        Assert.Contains(details, d => d.Contains("aztp_audit_trace", StringComparison.Ordinal));
    }

    private static async Task ExecAsync(string path, string sql)
    {
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var command = c.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var command = c.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
