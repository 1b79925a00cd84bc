using Aztp.Audit;
using Aztp.Audit.Internal;
using Aztp.Core;
using Npgsql;

namespace Aztp.Audit.Tests;

[Collection("postgres")]
public sealed class PostgresTests(PostgresServer server)
{
    public static TheoryData<string, AuditBreakKind?, long> Tampering => Scenarios.Tampering;

    [PostgresFact]
    public async Task Postgres_RoundTripsCanonicalJsonByteForByte()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        var events = await Scenarios.WriteAsync(store, pki);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, ((PostgresStore)store).Table);
        await SinkTests.AssertRoundTripAsync(reader, events);
    }

    public static TheoryData<string> EvidenceColumns => ChainVerificationTests.EvidenceColumns;

    [PostgresTheory]
    [MemberData(nameof(EvidenceColumns))]
    public async Task Verify_Postgres_NullInAnEvidenceColumn_IsEditedAtThatRow(string column)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        await Scenarios.WriteAsync(store, pki);
        await store.ExecAsync($"ALTER TABLE aztp_audit ALTER COLUMN {column} DROP NOT NULL; UPDATE aztp_audit SET {column} = NULL WHERE id = (SELECT MIN(id) FROM aztp_audit) + 8 AND @s = @s", 0);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);

        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Edited, result.Break!.Kind);
        Assert.Equal(9, result.Break.Position);
        Assert.Equal(8, result.Records);
        Assert.Contains(column, result.Break.Message, StringComparison.Ordinal);
    }

    [PostgresTheory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_Postgres_DetectsEachKindOfTampering(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.ApplyAsync(store, tamper);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        if (kind is null)
        {
            Assert.True(result.IsIntact, result.Break?.Message);
            Assert.Equal(Scenarios.EventCount, result.Events);
            Assert.Equal(4, result.Checkpoints);
        }
        else
        {
            Assert.Equal(kind, result.Break?.Kind);
            Assert.Equal(seq, result.Break!.Seq);
        }
    }

    [PostgresFact]
    public async Task Postgres_ReopenedSink_ContinuesTheChain()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        for (var run = 0; run < 2; run++)
        {
            var sink = await store.OpenSinkAsync(o => o.Signer = signer);
            await using (sink)
            {
                await sink.HandleBatchAsync(TestEvents.Many(7), CancellationToken.None);
            }
        }
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(14, result.Events);
        Assert.Equal(16, result.LastSeq);
    }

    [PostgresFact]
    public async Task Postgres_Outage_AllEventsStoredExactlyOnceInOrder()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var table = PostgresServer.NewTable();
        var sink = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
        {
            ConnectionString = server.ConnectionString, Table = table, SpillPath = dir.File("spill.jsonl"), Signer = signer,
            MaxBufferedRecords = 1000, InitialRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            CheckpointEvery = 1000,
        });
        var events = TestEvents.Many(10_000);
        await using (sink)
        {
            var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false });
            monitor.AddHandler(sink);
            await monitor.EmitAsync(events[0]);
            await monitor.FlushAsync();
            await sink.FlushAsync();
            await server.StopAsync();
            try
            {
                var emitStarted = DateTime.UtcNow;
                foreach (var e in events.Skip(1))
                {
                    await monitor.EmitAsync(e);
                }
                await monitor.FlushAsync();
                // Emitting never waited for the database: the sink buffered, then spilled.
                Assert.True(DateTime.UtcNow - emitStarted < TimeSpan.FromSeconds(20));
                Assert.True(sink.IsSpilling);
                Assert.True(sink.Pending >= 9_000, $"pending {sink.Pending}");
            }
            finally
            {
                await server.StartAsync();
            }
            await sink.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, sink.Pending);
            Assert.True(sink.Reconnects > 0);
            await monitor.DisposeAsync();
        }
        Assert.False(File.Exists(dir.File("spill.jsonl")));

        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        // The monitor adds its own backpressure events to the trail; ours must all be there, once, in emission order.
        var ours = events.Select(e => e.Id).ToHashSet();
        var ids = new List<string>();
        await foreach (var entry in reader.QueryAsync(new AuditQuery()))
        {
            ids.Add(entry.Event.Id);
        }
        Assert.Equal(events.Select(e => e.Id), ids.Where(ours.Contains));
        await using var c = new NpgsqlConnection(server.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*), COUNT(DISTINCT seq), COUNT(DISTINCT event_id) FROM {table} WHERE kind = 'event'";
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        Assert.Equal(ids.Count, r.GetInt64(0));
        Assert.Equal(ids.Count, r.GetInt64(1));
        Assert.Equal(ids.Count, r.GetInt64(2));
    }

    [PostgresFact]
    public async Task Postgres_ServerDownAtShutdown_LeavesASpillFileTheNextRunStores()
    {
        using var dir = new TempDir();
        var table = PostgresServer.NewTable();
        var spill = dir.File("spill.jsonl");
        PostgresAuditSinkOptions Options() => new()
        {
            ConnectionString = server.ConnectionString, Table = table, SpillPath = spill, DrainTimeout = TimeSpan.FromMilliseconds(300),
            InitialRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        };
        var sink = await PostgresAuditSink.OpenAsync(Options());
        await server.StopAsync();
        try
        {
            await sink.HandleBatchAsync(TestEvents.Many(50), CancellationToken.None);
            await sink.DisposeAsync();
        }
        finally
        {
            await server.StartAsync();
        }
        Assert.True(File.Exists(spill));

        var next = await PostgresAuditSink.OpenAsync(Options());
        await using (next)
        {
            Assert.Equal(50, next.LastSeq);
            await next.HandleBatchAsync(TestEvents.Many(5), CancellationToken.None);
            await next.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { RequireSealedTail = false });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(55, result.Events);
    }

    [PostgresFact]
    public async Task Postgres_QueryAndRetention()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        await QueryAndRetentionTests.WriteAgedAsync(store, pki);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);
        await QueryAndRetentionTests.AssertQueriesAsync(reader);
        await QueryAndRetentionTests.AssertRetentionAsync(reader, pki);
    }

    [PostgresFact]
    public async Task Postgres_QueryByOutcomeAlone_CanUseThePartialOutcomeIndex()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        await QueryAndRetentionTests.WriteAgedAsync(store, pki);
        var (sql, parameters) = QuerySql.Build(store.Table, new AuditQuery { Outcome = EventOutcome.Denied }, t => t.ToUniversalTime());

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue(name, value);
        }
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.Contains(plan, line => line.Contains(store.Table + "_outcome", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Postgres_Unreachable_OpenFailsWithAStoreException()
    {
        var ex = await Assert.ThrowsAsync<AuditStoreException>(() => PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
        {
            ConnectionString = "Host=127.0.0.1;Port=1;Username=x;Timeout=2", SpillPath = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".spill"),
        }));
        Assert.Contains("Port=1", ex.Message, StringComparison.Ordinal);
    }
}
