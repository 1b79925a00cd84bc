using Aztp.Audit;

namespace Aztp.Audit.Tests;

/// <summary>
/// Verification reads records ahead in blocks (2,048 rows from a database, 1 MiB of lines from a file) and checks their
/// hashes in parallel; tampering at and across block boundaries and deep in a long trail must be reported exactly as in
/// a short one. 5,000 events with a checkpoint every 500 events: checkpoints are seq 501·k (501 … 5010).
/// </summary>
public sealed class LargeTrailVerificationTests
{
    private const int Events = 5000;

    public static TheoryData<StoreKind, string, AuditBreakKind?, long> Tampering()
    {
        var data = new TheoryData<StoreKind, string, AuditBreakKind?, long>();
        foreach (var kind in new[] { StoreKind.Jsonl, StoreKind.Sqlite })
        {
            data.Add(kind, "none", null, 0);
            data.Add(kind, "edit 2048", AuditBreakKind.Edited, 2048);
            data.Add(kind, "edit 2049", AuditBreakKind.Edited, 2049);
            data.Add(kind, "edit 4999", AuditBreakKind.Edited, 4999);
            data.Add(kind, "delete 2050", AuditBreakKind.Deleted, 2050);
            data.Add(kind, "duplicate 2047", AuditBreakKind.Inserted, 2047);
            data.Add(kind, "swap 2048", AuditBreakKind.Reordered, 2049);
            data.Add(kind, "swap 4095", AuditBreakKind.Reordered, 4096);
            data.Add(kind, "truncate 4800", AuditBreakKind.Truncated, 4510);
        }
        return data;
    }

    private static async Task<TestStore> WriteAsync(StoreKind kind, TempDir dir, TestPki pki)
    {
        var store = TestStore.Create(kind, dir);
        using var signer = pki.Signer();
        var sink = await store.OpenSinkAsync(o =>
        {
            o.Signer = signer;
            o.CheckpointEvery = 500;
            o.CheckpointInterval = Timeout.InfiniteTimeSpan;
        });
        await using (sink)
        {
            foreach (var batch in TestEvents.Many(Events).Chunk(1024))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
            }
        }
        return store;
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_LongTrail_ReportsTamperingAcrossReadAheadBlocks(StoreKind kind, string tamper, AuditBreakKind? expected, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = await WriteAsync(kind, dir, pki);
        await Scenarios.ApplyAsync(store, tamper);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        if (expected is null)
        {
            Assert.True(result.IsIntact, result.Break?.Message);
            Assert.Equal(Events, result.Events);
            Assert.Equal(10, result.Checkpoints);
            Assert.Equal(5010, result.LastSeq);
            return;
        }
        Assert.False(result.IsIntact);
        Assert.Equal(expected, result.Break!.Kind);
        Assert.Equal(seq, result.Break.Seq);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(4097)]
    public async Task Verify_MalformedLineDeepInTheFile_IsEditedAtThatLine_AfterEveryRecordBeforeItIsChecked(int line)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)await WriteAsync(StoreKind.Jsonl, dir, pki);
        var lines = store.Lines();
        lines[line - 1] = "{\"seq\":" + line + ",\"not\":\"a record\"}";
        store.Save(lines);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Edited, result.Break!.Kind);
        Assert.Equal(line, result.Break.Position);
        Assert.Equal(line - 1, result.Records);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(4097)]
    public async Task Verify_MalformedRowDeepInTheDatabase_IsEditedAtThatRow_AfterEveryRecordBeforeIt(int row)
    {
        // The database path reads the next block while the current one is hashed: a bad row in the block read ahead
        // must still be reported in its place, after every record before it.
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (SqlStore)await WriteAsync(StoreKind.Sqlite, dir, pki);
        await store.ExecAsync("UPDATE aztp_audit SET kind = 'bogus' WHERE rowid = @s", row);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Edited, result.Break!.Kind);
        Assert.Equal(row, result.Break.Position);
        Assert.Equal(row - 1, result.Records);
        Assert.Contains("unknown kind 'bogus'", result.Break.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_LongFileCutInTheMiddleOfTheLastLine_IsTruncated()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)await WriteAsync(StoreKind.Jsonl, dir, pki);
        var bytes = await File.ReadAllBytesAsync(store.Path);
        await File.WriteAllBytesAsync(store.Path, bytes[..^40]);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Truncated, result.Break!.Kind);
        Assert.Equal(5010, result.Break.Seq);
        Assert.Equal(5009, result.Records);
    }
}
