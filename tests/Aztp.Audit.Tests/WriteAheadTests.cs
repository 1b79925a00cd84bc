using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

/// <summary>
/// Write-ahead: a sink writes finished parts of a batch before the rest is hashed, then makes the batch
/// durable once. The stored records must not depend on it, and a failed part must leave a chain the next batch continues.
/// </summary>
public sealed class WriteAheadTests
{
    public static TheoryData<int> PartSizes => new() { 1, 7, 256, 5000 };

    [Theory]
    [MemberData(nameof(PartSizes))]
    public async Task Jsonl_WriteAhead_WritesTheSameBytesAsOnePiece(int partSize)
    {
        using var dir = new TempDir();
        var events = TestEvents.Many(2500);
        var whole = await WriteAsync(dir.File("whole.jsonl"), 0, events);
        var parts = await WriteAsync(dir.File("parts.jsonl"), partSize, events);
        Assert.Equal(whole.Length, parts.Length);
        Assert.True(whole.AsSpan().SequenceEqual(parts), "the files differ");
    }

    private static async Task<byte[]> WriteAsync(string path, int partSize, List<SecurityEvent> events)
    {
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, WriteAheadRecords = partSize });
        await using (sink)
        {
            foreach (var batch in events.Chunk(1000))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
            }
        }
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task Jsonl_WriteAheadWithCheckpointsInsideParts_VerifiesAndRoundTrips()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("audit.jsonl");
        var events = TestEvents.Many(3000);
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 97, WriteAheadRecords = 64 });
        await using (sink)
        {
            foreach (var batch in events.Chunk(1024))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
            }
        }
        var result = await AuditVerifier.VerifyAsync(path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(3000, result.Events);
        Assert.Equal(3000 / 97 + 1, result.Checkpoints);
        await SinkTests.AssertRoundTripAsync(path, events);
    }

    [Fact]
    public void Options_NegativeWriteAhead_IsRejectedWithTheOptionName()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new JsonlAuditSinkOptions { Path = "x.jsonl", WriteAheadRecords = -1 }.Validate());
        Assert.Contains("WriteAheadRecords", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedPart_FailsTheBatch_AndTheNextBatchContinuesFromWhatWasStored()
    {
        var sink = new MemorySink(partSize: 10) { FailPartNumber = 3 };
        await using (sink)
        {
            var ex = await Assert.ThrowsAsync<IOException>(() => sink.HandleBatchAsync(TestEvents.Many(50), CancellationToken.None).AsTask());
            Assert.Equal("disk full (part 3)", ex.Message);
            // Parts 1 and 2 reached the store; nothing of the batch was made durable or acknowledged.
            Assert.Equal(20, sink.Stored.Count);
            Assert.Equal(0, sink.DurableCount);
            Assert.False(sink.PartInFlight);

            await sink.HandleBatchAsync(TestEvents.Many(25), CancellationToken.None);
            Assert.Equal(45, sink.LastSeq);
            Assert.Equal(45, sink.DurableCount);
        }
        var result = await AuditVerifier.VerifyAsync(new MemoryReader(sink.Stored), new AuditVerifyOptions { RequireSealedTail = false });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(45, result.Records);
    }

    [Fact]
    public async Task Batch_IsAcknowledgedOnlyAfterTheFinalDurableWrite()
    {
        var sink = new MemorySink(partSize: 8);
        await using (sink)
        {
            await sink.HandleBatchAsync(TestEvents.Many(100), CancellationToken.None);
            Assert.Equal(12, sink.PartsWritten);
            Assert.Equal(100, sink.DurableCount);
            Assert.Equal(100, sink.LastSeq);
        }
    }

    /// <summary>An in-memory store that writes ahead in parts and can fail one part on cue.</summary>
    private sealed class MemorySink(int partSize) : AuditSink(new AuditSinkOptions())
    {
        private int _inFlight;

        public List<AuditRecord> Stored { get; } = [];

        public int DurableCount { get; private set; }

        public int PartsWritten { get; private set; }

        public int FailPartNumber { get; set; }

        public bool PartInFlight => Volatile.Read(ref _inFlight) != 0;

        public override string Name => "memory";

        private protected override int WriteAheadRecords => partSize;

        private protected override async ValueTask WritePartAsync(IReadOnlyList<AuditRecord> records)
        {
            Interlocked.Exchange(ref _inFlight, 1);
            try
            {
                await Task.Yield();
                if (++PartsWritten == FailPartNumber)
                {
                    throw new IOException($"disk full (part {PartsWritten})");
                }
                Stored.AddRange(records);
            }
            finally
            {
                Interlocked.Exchange(ref _inFlight, 0);
            }
        }

        private protected override ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            Assert.False(PartInFlight, "the final write overlapped a part");
            Stored.AddRange(records);
            DurableCount = Stored.Count;
            return ValueTask.CompletedTask;
        }

        private protected override ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(Stored.Count == 0 ? null : Stored[^1]);

        private protected override ValueTask CloseStoreAsync() => ValueTask.CompletedTask;
    }

    private sealed class MemoryReader(List<AuditRecord> records) : IAuditReader
    {
        public string Description => "memory";

        public async IAsyncEnumerable<AuditRecord> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var r in records)
            {
                await Task.Yield();
                yield return r;
            }
        }

        public IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
