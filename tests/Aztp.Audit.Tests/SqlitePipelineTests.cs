using Aztp.Audit;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Tests;

/// <summary>
/// The SQLite sink stores a batch while the rest of it is still being chained on its worker thread. Same records, same
/// bytes, one transaction: a failure on either side mid-batch stores nothing of the batch and does not advance the chain.
/// </summary>
public sealed class SqlitePipelineTests
{
    private static async Task<long> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> HashAtAsync(string path, long seq)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT hash FROM aztp_audit WHERE seq = @s";
        command.Parameters.AddWithValue("@s", seq);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<(long Seq, string Prev, string Hash, string Payload)>> RecordsAsync(string location)
    {
        await using var reader = await AuditStore.OpenReaderAsync(location);
        var records = new List<(long, string, string, string)>();
        await foreach (var r in reader.ReadAllAsync())
        {
            records.Add((r.Seq, r.PrevHash, r.Hash, r.PayloadText));
        }
        return records;
    }

    [Fact]
    public async Task DefaultOptions_GroupCommitUpTo8192_ThroughAMonitor_StoresEveryEventInOrder_AndVerifies()
    {
        Assert.Equal(8192, new SqliteAuditSinkOptions().MaxBatchSize);
        Assert.Equal(1024, new JsonlAuditSinkOptions().MaxBatchSize);
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("group.db");
        var events = TestEvents.Many(20_000);
        await using (var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer }))
        {
            Assert.Equal(8192, sink.MaxBatchSize);
            await TestMonitor.EmitAllAsync(sink, events);
        }

        // Every emitted event once, in emission order (the monitor's own events, if any, come on top).
        var ids = events.Select(e => e.Id).ToHashSet();
        var storedIds = new List<string>();
        await using (var reader = await AuditStore.OpenReaderAsync("sqlite:" + path))
        {
            await foreach (var entry in reader.QueryAsync(new AuditQuery()))
            {
                if (ids.Contains(entry.Event.Id))
                {
                    storedIds.Add(entry.Event.Id);
                }
            }
        }
        Assert.Equal(events.Select(e => e.Id), storedIds);
        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
    }

    [Fact]
    public async Task Pipelined_StoresTheSameRecordsAsTheJsonlSink_ForEveryBatchSize()
    {
        using var dir = new TempDir();
        var events = TestEvents.Many(1024 + 300 + 1 + 255 + 256 + 2000);
        var sizes = new[] { 1024, 300, 1, 255, 256, 2000 };
        await using (var sqlite = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = dir.File("p.db") }))
        await using (var jsonl = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = dir.File("p.jsonl") }))
        {
            var at = 0;
            foreach (var size in sizes)
            {
                var batch = events.GetRange(at, size);
                at += size;
                await sqlite.HandleBatchAsync(batch, CancellationToken.None);
                await jsonl.HandleBatchAsync(batch, CancellationToken.None);
                Assert.Equal(jsonl.LastHash, sqlite.LastHash);
            }
        }

        // No signer, so nothing random: both chains must be identical record for record, byte for byte.
        var fromSqlite = await RecordsAsync("sqlite:" + dir.File("p.db"));
        Assert.Equal(events.Count, fromSqlite.Count);
        Assert.Equal(await RecordsAsync(dir.File("p.jsonl")), fromSqlite);
    }

    [Theory]
    [InlineData(1024, 700)] // pipelined: several hand-offs of 128 are stored before the failing row
    [InlineData(100, 50)] // a small batch, inserted after it is chained (no pipelining)
    public async Task InsertFailingMidBatch_StoresNothingOfTheBatch_AndTheNextBatchContinuesFromTheStore(int batch, int failAt)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("fail.db");
        var first = TestEvents.Many(300);
        var failing = TestEvents.Many(batch);
        var next = TestEvents.Many(1024);
        await using (var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer }))
        {
            await sink.HandleBatchAsync(first, CancellationToken.None);
            var seq = sink.LastSeq;
            var hash = sink.LastHash;
            await new SqliteStore(path).ExecAsync(
                $"CREATE TRIGGER boom BEFORE INSERT ON aztp_audit WHEN NEW.seq = {seq + failAt} BEGIN SELECT RAISE(ABORT, 'boom'); END", 0);

            var ex = await Assert.ThrowsAsync<AuditStoreException>(() => sink.HandleBatchAsync(failing, CancellationToken.None).AsTask());

            Assert.Contains("boom", Assert.IsType<SqliteException>(ex.InnerException).Message, StringComparison.Ordinal);
            Assert.Contains("none of its records was stored", ex.Message, StringComparison.Ordinal);
            Assert.Equal(seq, await ScalarAsync(path, "SELECT MAX(seq) FROM aztp_audit"));
            Assert.Equal(seq, await ScalarAsync(path, "SELECT COUNT(*) FROM aztp_audit"));
            Assert.Equal(seq, sink.LastSeq);
            Assert.Equal(hash, sink.LastHash);

            await new SqliteStore(path).ExecAsync("DROP TRIGGER boom", 0);
            await sink.HandleBatchAsync(next, CancellationToken.None);
            Assert.Equal(hash, await HashAtAsync(path, seq));
        }

        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, [.. first, .. next]);
    }

    [Theory]
    [InlineData(200)] // the checkpoint due 100 events into the failing batch: in the part the storing thread chains
    [InlineData(50)] // 250 events in: in the part the worker chains, after the first records were inserted
    public async Task Pipelined_ChainingFailingMidBatch_StoresNothingOfTheBatch_AndAReopenedSinkContinuesTheChain(int before)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("chainfail.db");
        var first = TestEvents.Many(before);
        var next = TestEvents.Many(600);
        var signer = pki.Signer();
        var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 300 });
        await sink.HandleBatchAsync(first, CancellationToken.None);
        // The next checkpoint (due 300 - before events into the next batch) cannot be signed.
        signer.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => sink.HandleBatchAsync(TestEvents.Many(1024), CancellationToken.None).AsTask());

        Assert.Equal(before, await ScalarAsync(path, "SELECT COUNT(*) FROM aztp_audit"));
        Assert.Equal(before, sink.LastSeq);
        // Disposal cannot seal either (same signer); it still closes the store.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sink.DisposeAsync().AsTask());

        using (var again = pki.Signer())
        await using (var reopened = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = again, CheckpointEvery = 300 }))
        {
            Assert.Equal(before, reopened.LastSeq);
            await reopened.HandleBatchAsync(next, CancellationToken.None);
        }
        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, [.. first, .. next]);
    }
}
