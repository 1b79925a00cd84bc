using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

public sealed class SinkTests
{
    public static TheoryData<StoreKind> LocalStores => new() { StoreKind.Jsonl, StoreKind.Sqlite, StoreKind.SqliteTextLayout, StoreKind.SqliteIdIntegerLayout };

    [Theory]
    [MemberData(nameof(LocalStores))]
    public async Task Sink_RoundTripsCanonicalJsonByteForByte(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(kind, dir);
        var events = await Scenarios.WriteAsync(store, pki);
        await AssertRoundTripAsync(store.Location, events);
    }

    internal static async Task AssertRoundTripAsync(string location, List<SecurityEvent> events)
    {
        await using var reader = await AuditStore.OpenReaderAsync(location);
        await AssertRoundTripAsync(reader, events);
    }

    internal static async Task AssertRoundTripAsync(IAuditReader reader, List<SecurityEvent> events)
    {
        var payloads = new List<string>();
        await foreach (var record in reader.ReadAllAsync())
        {
            if (record.Kind == AuditRecordKind.Event)
            {
                payloads.Add(record.PayloadText);
            }
        }
        Assert.Equal(events.Select(SecurityEventJson.Serialize), payloads);
        var read = new List<SecurityEvent>();
        await foreach (var entry in reader.QueryAsync(new AuditQuery()))
        {
            read.Add(entry.Event);
        }
        Assert.Equal(events, read);
    }

    [Theory]
    [MemberData(nameof(LocalStores))]
    public async Task Sink_ReopenedOnAnExistingStore_ContinuesTheChain(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        using var store = TestStore.Create(kind, dir);
        for (var run = 0; run < 3; run++)
        {
            var sink = await store.OpenSinkAsync(o => o.Signer = signer);
            await using (sink)
            {
                await sink.HandleBatchAsync(TestEvents.Many(5), CancellationToken.None);
            }
        }

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(15, result.Events);
        Assert.Equal(3, result.Checkpoints);
        Assert.Equal(18, result.LastSeq);
    }

    [Fact]
    public async Task Sink_InMonitorPipeline_StoresEveryEventInEmissionOrder()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("audit.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 250 });
        var events = TestEvents.Many(2000);
        await TestMonitor.EmitAllAsync(sink, events);
        Assert.Equal(2000 + 8, sink.LastSeq);
        await sink.DisposeAsync();

        var result = await AuditVerifier.VerifyAsync(path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(2000, result.Events);
        await AssertRoundTripAsync(path, events.Select(EventRedactor.Redact).ToList());
    }

    [Fact]
    public async Task Sink_CheckpointsAfterTheIntervalEvenBelowTheEventCount()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var path = dir.File("audit.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions
        {
            Path = path, Signer = signer, CheckpointEvery = 1000, CheckpointInterval = TimeSpan.FromMinutes(1), TimeProvider = clock,
        });
        await using (sink)
        {
            await sink.HandleBatchAsync(TestEvents.Many(3), CancellationToken.None);
            Assert.Equal(0, sink.CheckpointsWritten);
            clock.Advance(TimeSpan.FromMinutes(2));
            await sink.HandleBatchAsync(TestEvents.Many(2), CancellationToken.None);
            Assert.Equal(1, sink.CheckpointsWritten);
            Assert.Equal(6, sink.LastSeq);
        }
    }

    [Fact]
    public async Task Jsonl_TornLastLine_IsCutOffOnReopen()
    {
        using var dir = new TempDir();
        var path = dir.File("audit.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path });
        await using (sink)
        {
            await sink.HandleBatchAsync(TestEvents.Many(3), CancellationToken.None);
        }
        File.AppendAllText(path, "{\"seq\":4,\"prevHash\":\"00");

        var reopened = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path });
        await using (reopened)
        {
            Assert.Equal(3, reopened.LastSeq);
            await reopened.HandleBatchAsync(TestEvents.Many(1), CancellationToken.None);
        }

        var result = await AuditVerifier.VerifyAsync(path, new AuditVerifyOptions { RequireSealedTail = false });
        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.Equal(4, result.Events);
    }

    [Fact]
    public async Task Jsonl_RotatesBySize_EachFileVerifiesOnItsOwn_AndRetentionKeepsN()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("audit.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions
        {
            Path = path, Signer = signer, MaxFileBytes = 8 * 1024, KeepFiles = 3, CompressRotated = true, CheckpointEvery = 50,
        });
        await using (sink)
        {
            foreach (var chunk in TestEvents.Many(200).Chunk(10))
            {
                await sink.HandleBatchAsync(chunk, CancellationToken.None);
            }
        }
        var rotated = Directory.GetFiles(dir.Path, "audit.*.jsonl.gz").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, rotated.Count);
        foreach (var file in rotated.Append(path))
        {
            var result = await AuditVerifier.VerifyAsync(file, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
            Assert.True(result.IsIntact, file + ": " + result.Break?.Message);
        }
        var last = await AuditVerifier.VerifyAsync(path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.Equal(sink.LastSeq, last.LastSeq);
    }

    [Fact]
    public async Task Options_OutOfRange_AreRejectedWithTheOptionName()
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = "x.jsonl", CheckpointEvery = 0 }));
        Assert.Contains("CheckpointEvery", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions()));
        await Assert.ThrowsAsync<ArgumentException>(() => SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = "a.db", Table = "x; drop" }));
    }
}

internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
