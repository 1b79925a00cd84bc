using System.Diagnostics;
using Aztp.Audit;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Tests;

/// <summary>The SQLite sink's opt-in background WAL checkpoints: bounded WAL, no stalled writer, clean disposal.</summary>
public sealed class SqliteCheckpointTests
{
    private const int Batch = 128;

    private static SqliteAuditSinkOptions Options(string path, AuditSigner signer) => new()
    {
        Path = path, Signer = signer, CheckpointEvery = 500, MaxBatchSize = Batch, CheckpointInBackground = true,
        // Tiny bounds so a few thousand events cross them many times: a PASSIVE checkpoint every 256 records, a WAL
        // rewind once a checkpoint finds 256 KiB (16 frames of 16 KiB) in the WAL.
        BackgroundCheckpointRecords = 256, WalRestartBytes = 1L << 18,
    };

    private static long WalBytes(string path) => File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0;

    [Fact]
    public async Task BackgroundCheckpoint_IsOptIn()
    {
        using var dir = new TempDir();
        await using var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = dir.File("default.db") });
        Assert.Null(sink.Checkpointer);
    }

    [Fact]
    public async Task BackgroundCheckpoint_KeepsTheWalBounded_AndEveryEventIsStoredAndVerifies()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("ck.db");
        var events = TestEvents.Many(6000);
        long maxWal = 0;
        var sink = await SqliteAuditSink.OpenAsync(Options(path, signer));
        await using (sink)
        {
            var checkpointer = sink.Checkpointer!;
            foreach (var batch in events.Chunk(Batch))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
                await checkpointer.WhenNotRunningAsync().WaitAsync(TimeSpan.FromSeconds(30));
                maxWal = Math.Max(maxWal, WalBytes(path));
            }
            Assert.True(checkpointer.PassiveCheckpoints >= 10, $"{checkpointer.PassiveCheckpoints} passive checkpoints");
            Assert.True(checkpointer.Restarts >= 2, $"{checkpointer.Restarts} WAL rewinds");
            Assert.Equal(0, checkpointer.RestartsSkipped);
        }

        // ~6,000 rows make several MiB of WAL when nothing rewinds it; bounded, the WAL file never outgrows its bound
        // (256 KiB) plus what is committed between a checkpoint and the rewind (a few batches of 128).
        Assert.InRange(maxWal, 1L << 18, 2L << 20);
        // Both connections closed: the last close checkpoints everything and removes the WAL.
        Assert.False(File.Exists(path + "-wal"));
        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(events.Count, result.Events);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, events);
    }

    [Fact]
    public async Task BackgroundCheckpoint_AReaderInsideTheWal_PostponesTheRewind_WithoutStallingTheWriter()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("reader.db");
        var events = TestEvents.Many(4000);
        var sink = await SqliteAuditSink.OpenAsync(Options(path, signer));
        await using (sink)
        {
            var checkpointer = sink.Checkpointer!;
            var chunks = events.Chunk(Batch).ToList();
            await sink.HandleBatchAsync(chunks[0], CancellationToken.None);
            long slowest;
            await using (var reader = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                await reader.OpenAsync();
                using var transaction = reader.BeginTransaction(deferred: true);
                await using (var count = reader.CreateCommand())
                {
                    // A read transaction holds its snapshot (in the WAL) until it ends.
                    count.Transaction = transaction;
                    count.CommandText = "SELECT count(*) FROM aztp_audit";
                    Assert.Equal(chunks[0].Length, (long)(await count.ExecuteScalarAsync())!);
                }
                slowest = 0;
                foreach (var batch in chunks.Skip(1).Take(chunks.Count / 2))
                {
                    var sw = Stopwatch.StartNew();
                    await sink.HandleBatchAsync(batch, CancellationToken.None);
                    slowest = Math.Max(slowest, sw.ElapsedMilliseconds);
                    await checkpointer.WhenNotRunningAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
                Assert.True(checkpointer.RestartsSkipped >= 1, "the rewind was never attempted while the reader held the WAL");
                Assert.Equal(0, checkpointer.Restarts);
            }
            // Waiting for the reader (busy_timeout is 5 s) would have made one batch take seconds.
            Assert.True(slowest < 2500, $"a batch took {slowest} ms while a reader held the WAL");
            foreach (var batch in chunks.Skip(1 + (chunks.Count / 2)))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
                await checkpointer.WhenNotRunningAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            Assert.True(checkpointer.Restarts >= 1, "the WAL was not rewound once the reader had gone");
        }

        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(events.Count, result.Events);
    }

    [Fact]
    public async Task BackgroundCheckpoint_ThroughTheMonitor_WithWriteBehind_StoresEverythingOnceAndClosesCleanly()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("wb.db");
        var events = TestEvents.Many(5000);
        var options = Options(path, signer);
        options.WriteBehind = true;
        var sink = await SqliteAuditSink.OpenAsync(options);
        await using (sink)
        {
            await TestMonitor.EmitAllAsync(sink, events);
            await sink.FlushAsync();
            Assert.True(sink.Checkpointer!.PassiveCheckpoints >= 1);
        }

        Assert.False(File.Exists(path + "-wal"));
        var result = await AuditVerifier.VerifyAsync("sqlite:" + path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(events.Count, result.Events);
        await SinkTests.AssertRoundTripAsync("sqlite:" + path, events);
    }
}
