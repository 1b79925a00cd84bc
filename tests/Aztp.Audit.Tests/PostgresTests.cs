using Aztp.Audit;
using Aztp.Audit.Internal;
using Aztp.Core;
using Npgsql;

namespace Aztp.Audit.Tests;

[Collection("postgres")]
public sealed class PostgresTests(PostgresServer server)
{
    /// <summary>A table the sink creates (seq as its key) and one made by versions with an id key and a seq index.</summary>
    public static TheoryData<StoreKind> Layouts => new() { StoreKind.Postgres, StoreKind.PostgresIdLayout };

    public static TheoryData<StoreKind, string, AuditBreakKind?, long> Tampering
    {
        get
        {
            var data = new TheoryData<StoreKind, string, AuditBreakKind?, long>();
            foreach (var kind in new[] { StoreKind.Postgres, StoreKind.PostgresIdLayout })
            {
                foreach (var row in Scenarios.Tampering)
                {
                    data.Add(kind, (string)row[0], (AuditBreakKind?)row[1], (long)row[2]);
                }
            }
            return data;
        }
    }

    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_RoundTripsCanonicalJsonByteForByte(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(kind, dir, server.ConnectionString);
        var events = await Scenarios.WriteAsync(store, pki);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, ((PostgresStore)store).Table);
        await SinkTests.AssertRoundTripAsync(reader, events);
    }

    public static TheoryData<StoreKind, string> EvidenceColumns
    {
        get
        {
            var data = new TheoryData<StoreKind, string>();
            foreach (var column in ChainVerificationTests.EvidenceColumns)
            {
                data.Add(StoreKind.PostgresIdLayout, column);
                // Where seq is the key it cannot be NULL; see the test after this one.
                if (column != "seq")
                {
                    data.Add(StoreKind.Postgres, column);
                }
            }
            return data;
        }
    }

    [PostgresTheory]
    [MemberData(nameof(EvidenceColumns))]
    public async Task Verify_Postgres_NullInAnEvidenceColumn_IsEditedAtThatRow(StoreKind kind, string column)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
        await Scenarios.WriteAsync(store, pki);
        await store.ExecAsync($"ALTER TABLE aztp_audit ALTER COLUMN {column} DROP NOT NULL; UPDATE aztp_audit SET {column} = NULL WHERE seq = @s", 9);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);

        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Edited, result.Break!.Kind);
        Assert.Equal(9, result.Break.Position);
        Assert.Equal(8, result.Records);
        Assert.Contains(column, result.Break.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// In a seq-keyed table, a record whose seq was set to NULL (after dropping the key) is read last (seq order puts NULL
    /// last): the trail breaks where it was, as a missing record.
    /// </summary>
    [PostgresFact]
    public async Task Verify_PostgresSeqKeyed_NullSeq_IsAMissingRecordWhereItWas()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(StoreKind.Postgres, dir, server.ConnectionString);
        await Scenarios.WriteAsync(store, pki);
        await store.ExecAsync("ALTER TABLE aztp_audit DROP CONSTRAINT aztp_audit_pkey; ALTER TABLE aztp_audit ALTER COLUMN seq DROP NOT NULL; UPDATE aztp_audit SET seq = NULL WHERE seq = @s", 9);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);

        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Deleted, result.Break!.Kind);
        Assert.Equal(9, result.Break.Seq);
        Assert.Equal(9, result.Break.Position);
    }

    [PostgresTheory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_Postgres_DetectsEachKindOfTampering(StoreKind layout, string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(layout, dir, server.ConnectionString);
        if (tamper.StartsWith("swap", StringComparison.Ordinal))
        {
            seq = store.SwapReportedAt(seq - 1);
        }
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

    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_ReopenedSink_ContinuesTheChain(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
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

    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_QueryAndRetention(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
        await QueryAndRetentionTests.WriteAgedAsync(store, pki);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);
        await QueryAndRetentionTests.AssertQueriesAsync(reader);
        await QueryAndRetentionTests.AssertRetentionAsync(reader, pki);
    }

    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_QueryByOutcomeAlone_CanUseThePartialOutcomeIndex(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
        await QueryAndRetentionTests.WriteAgedAsync(store, pki);
        var (sql, parameters) = QuerySql.Build(store.Table, new AuditQuery { Outcome = EventOutcome.Denied }, t => t.ToUniversalTime());

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }
        var plan = await ExplainAsync(connection, sql, parameters);

        Assert.Contains(plan, line => line.Contains(store.Table + "_outcome", StringComparison.Ordinal));
    }

    /// <summary>The lines of PostgreSQL's plan for a query with named parameters.</summary>
    private static async Task<List<string>> ExplainAsync(NpgsqlConnection connection, string sql, IEnumerable<KeyValuePair<string, object>> parameters)
    {
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue(name, value);
        }
        var plan = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }
        return plan;
    }

    /// <summary>
    /// The sink creates tables keyed on seq (no id column, no separate seq index: one B-tree insert fewer per row); a
    /// table made by earlier versions keeps its id key and seq index and is appended to as it is.
    /// </summary>
    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_Table_IsKeyedOnSeqWhenTheSinkCreatesIt_AndKeepsAnOlderTablesIdKey(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.WriteAsync(store, pki);

        await using var c = new NpgsqlConnection(server.ConnectionString);
        await c.OpenAsync();
        async Task<List<string>> ListAsync(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            cmd.Parameters.AddWithValue("t", store.Table);
            var list = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                list.Add(r.GetString(0));
            }
            return list;
        }
        var columns = await ListAsync("SELECT column_name::text FROM information_schema.columns WHERE table_name = @t");
        var key = await ListAsync("""
            SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = to_regclass(@t) AND i.indisprimary
            """);
        var indexes = await ListAsync("SELECT indexname::text FROM pg_indexes WHERE tablename = @t ORDER BY indexname");
        string[] secondary = ["actor", "agent", "outcome", "severity", "trace", "ts", "type"];
        if (store.SeqKeyed)
        {
            Assert.DoesNotContain("id", columns);
            Assert.Equal(["seq"], key);
            Assert.Equal(secondary.Select(n => $"{store.Table}_{n}").Append(store.Table + "_pkey").Order(StringComparer.Ordinal), indexes.Order(StringComparer.Ordinal));
        }
        else
        {
            Assert.Contains("id", columns);
            Assert.Equal(["id"], key);
            Assert.Equal(secondary.Append("seq").Select(n => $"{store.Table}_{n}").Append(store.Table + "_pkey").Order(StringComparer.Ordinal), indexes.Order(StringComparer.Ordinal));
        }
        // Both runs (the second continuing the chain) stored and verify in storage order.
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, store.Table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(2 * Scenarios.EventCount, result.Events);
    }

    /// <summary>
    /// The writer encodes the next batch while the server stores the current one: with many small write batches queued at
    /// once, every record is still stored once, in order.
    /// </summary>
    [PostgresFact]
    public async Task Postgres_ManyWriteBatchesQueuedAtOnce_StoredOnceInOrder()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var table = PostgresServer.NewTable();
        var events = TestEvents.Many(3_000);
        var sink = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
        {
            ConnectionString = server.ConnectionString, Table = table, SpillPath = dir.File("spill.jsonl"), Signer = signer, WriteBatchSize = 7,
            CheckpointEvery = 500,
        });
        await using (sink)
        {
            foreach (var chunk in events.Chunk(1_000))
            {
                await sink.HandleBatchAsync(chunk, CancellationToken.None);
            }
            await sink.FlushAsync();
        }
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, table);
        var result = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        var ids = new List<string>();
        await foreach (var entry in reader.QueryAsync(new AuditQuery()))
        {
            ids.Add(entry.Event.Id);
        }
        Assert.Equal(events.Select(e => e.Id), ids);
    }

    /// <summary>
    /// A new table's severity index leaves out informational rows (most of a trail); a lookup of any other level still
    /// uses it, as it uses an older table's full index.
    /// </summary>
    [PostgresTheory]
    [MemberData(nameof(Layouts))]
    public async Task Postgres_LookupBySeverity_UsesTheSeverityIndex(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (PostgresStore)TestStore.Create(kind, dir, server.ConnectionString);
        await QueryAndRetentionTests.WriteAgedAsync(store, pki);

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var def = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = @i", connection))
        {
            def.Parameters.AddWithValue("i", store.Table + "_severity");
            var indexdef = (string)(await def.ExecuteScalarAsync())!;
            Assert.Equal(store.SeqKeyed, indexdef.Contains("WHERE (severity <> 'info'::text)", StringComparison.Ordinal));
        }
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }
        foreach (var level in new[] { "warning", "error", "critical" })
        {
            var plan = await ExplainAsync(connection, $"SELECT seq, json FROM {store.Table} WHERE severity = @level ORDER BY seq", [new("level", level)]);
            Assert.Contains(plan, line => line.Contains(store.Table + "_severity", StringComparison.Ordinal));
        }
        // The index's rows are exactly the non-informational ones: a lookup through it finds every warning.
        await using var count = new NpgsqlCommand($"SELECT COUNT(*) FROM {store.Table} WHERE severity = 'warning'", connection);
        Assert.True((long)(await count.ExecuteScalarAsync())! > 0);
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
