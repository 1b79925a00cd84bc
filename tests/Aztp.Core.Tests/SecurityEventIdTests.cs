using System.Collections.Concurrent;
using Aztp.Core;
using Aztp.Core.Internal;

namespace Aztp.Core.Tests;

/// <summary>
/// An event's id is fixed by the first monitor that accepts it (its ring position) or, when read before that, by the
/// process-wide stream; it is kept in one field and the text replaces the position on first read.
/// </summary>
public class SecurityEventIdTests
{
    private static readonly SecurityEventFactory F = new("finance", "spiffe://company.org/finance");

    private sealed class Collector : ISecurityEventHandler
    {
        public ConcurrentQueue<SecurityEvent> Events { get; } = new();

        public string Name => "collector";

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Events.Enqueue(securityEvent);
            return ValueTask.CompletedTask;
        }
    }

    private static (SecurityMonitor Monitor, Collector Collector) NewMonitor()
    {
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false });
        var collector = new Collector();
        monitor.AddHandler(collector);
        return (monitor, collector);
    }

    // The millisecond a ULID's first ten characters hold.
    private static long IdMilliseconds(string id)
    {
        const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        long ms = 0;
        foreach (var c in id.AsSpan(4, 10))
        {
            ms = (ms << 5) | (uint)Alphabet.IndexOf(c, StringComparison.Ordinal);
        }
        return ms;
    }

    [Fact]
    public async Task EmittedEvents_FromManyThreads_HaveUniqueIds_ThatSortByMillisecondThenDeliveryOrder()
    {
        var (monitor, collector) = NewMonitor();
        const int Threads = 4, PerThread = 5_000;
        using var start = new Barrier(Threads);
        var emitters = Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                await monitor.EmitAsync(F.RpcRequestSent("echo", "https://peer/" + t));
            }
        })).ToArray();
        await Task.WhenAll(emitters);
        await monitor.DisposeAsync();

        // Unique among all delivered, the monitor's own reports (a backpressure episode on a busy machine) included.
        var all = collector.Events.Select(e => e.Id).ToArray();
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
        var delivered = collector.Events.Where(e => e.Type == SecurityEventType.Rpc).ToArray();
        Assert.Equal(Threads * PerThread, delivered.Length);
        var ids = delivered.Select(e => e.Id).ToArray();
        Assert.All(ids, id => Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", id));
        // An emitted event's id carries its own millisecond, and within a millisecond the order the handler saw.
        Assert.All(delivered, e => Assert.Equal(e.Timestamp.ToUnixTimeMilliseconds(), IdMilliseconds(e.Id)));
        var expected = delivered.Select((e, i) => (e.Id, e.Timestamp, i)).OrderBy(x => x.Timestamp).ThenBy(x => x.i).Select(x => x.Id);
        Assert.Equal(expected, ids.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("read before emitting")]
    [InlineData("read after emitting")]
    [InlineData("copy emitted, source read after")]
    [InlineData("copy emitted, source read before")]
    [InlineData("emitted to two monitors")]
    public async Task Id_IsOneForTheEvent_WhoeverReadsItAndWhenever(string vector)
    {
        var (monitor, collector) = NewMonitor();
        var (second, secondCollector) = NewMonitor();
        var e = F.RpcRequestSent("echo", "https://peer");
        string? before = null;
        switch (vector)
        {
            case "read before emitting":
                before = e.Id;
                await monitor.EmitAsync(e);
                break;
            case "read after emitting":
                await monitor.EmitAsync(e);
                break;
            case "copy emitted, source read after":
                await monitor.EmitAsync(e.WithTrace(EventTrace.NewTrace()));
                break;
            case "copy emitted, source read before":
                var copy = e.WithData(e.Data);
                before = e.Id;
                await monitor.EmitAsync(copy);
                break;
            case "emitted to two monitors":
                await monitor.EmitAsync(e);
                await second.EmitAsync(e);
                break;
        }
        await monitor.DisposeAsync();
        await second.DisposeAsync();

        var seen = Assert.Single(collector.Events).Id;
        Assert.Equal(seen, e.Id);
        Assert.Equal(seen, e.WithData(e.Data).Id);
        if (before is not null)
        {
            Assert.Equal(before, seen);
        }
        if (vector == "emitted to two monitors")
        {
            Assert.Equal(seen, Assert.Single(secondCollector.Events).Id);
        }
    }

    [Fact]
    public async Task Id_ReadWhileTheEventIsEmitted_IsTheIdTheHandlerSees()
    {
        var (monitor, collector) = NewMonitor();
        const int Rounds = 300;
        var events = new SecurityEvent[Rounds];
        var readByOthers = new string[Rounds, 2];
        for (var round = 0; round < Rounds; round++)
        {
            var e = events[round] = F.RpcRequestSent("echo", "https://peer");
            var copy = round % 2 == 0 ? e : e.WithData(e.Data);
            using var start = new Barrier(3);
            var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            {
                start.SignalAndWait();
                readByOthers[round, r] = (r == 0 ? e : copy).Id;
            })).ToArray();
            start.SignalAndWait();
            await monitor.EmitAsync(copy);
            await Task.WhenAll(readers);
        }
        await monitor.DisposeAsync();

        var delivered = collector.Events.ToArray();
        Assert.Equal(Rounds, delivered.Length);
        for (var round = 0; round < Rounds; round++)
        {
            Assert.Equal(delivered[round].Id, readByOthers[round, 0]);
            Assert.Equal(delivered[round].Id, readByOthers[round, 1]);
            Assert.Equal(delivered[round].Id, events[round].Id);
        }
    }

    [Fact]
    public async Task TwoMonitors_InOneMillisecond_NeverGiveTheSameId()
    {
        var (a, collectedA) = NewMonitor();
        var (b, collectedB) = NewMonitor();
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 10_000; i++) { await a.EmitAsync(F.SystemStarted()); } }),
            Task.Run(async () => { for (var i = 0; i < 10_000; i++) { await b.EmitAsync(F.SystemStarted()); } }),
            Task.Run(() => { for (var i = 0; i < 10_000; i++) { _ = F.SystemStarted().Id; } }));
        await a.DisposeAsync();
        await b.DisposeAsync();
        var all = collectedA.Events.Concat(collectedB.Events).Select(e => e.Id).ToList();
        Assert.Equal(20_000, collectedA.Events.Concat(collectedB.Events).Count(e => e.Type == SecurityEventType.System));
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData((1L << 31) - 1)]
    [InlineData(1L << 31)]
    [InlineData((1L << 31) + 1)]
    [InlineData((5L << 31) + 12345)]
    public void RingPositions_AcrossRuns_AreConsecutiveIds(long position)
    {
        const long Ms = 1_790_000_000_000;
        var stream = new EventId.Stream();
        var first = stream.RunOf(0, out var firstOffset);
        var previous = stream.RunOf(Math.Max(0, position - 1), out var previousOffset);
        var run = stream.RunOf(position, out var offset);
        Assert.InRange(offset, 0, int.MaxValue);
        Assert.Equal(first.At(Ms, firstOffset) + (ulong)position, run.At(Ms, offset));
        Assert.Equal(Math.Min(position, 1), (long)(ulong)(run.At(Ms, offset) - previous.At(Ms, previousOffset)));
        // The time part is the event's millisecond.
        Assert.Equal(Ms, (long)(ulong)(run.At(Ms, offset) >> 80));
    }

    [Fact]
    public void Id_ReadFirstByManyThreadsAtOnce_IsOneTextForAll_AndCopiesBeforeAndAfterAgree()
    {
        for (var round = 0; round < 200; round++)
        {
            var e = F.RpcRequestSent("echo", "https://peer");
            var before = e.WithData(e.Data);
            var ids = new string[4];
            using var start = new Barrier(ids.Length);
            Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = ids.Length }, i =>
            {
                start.SignalAndWait();
                ids[i] = e.Id;
            });
            Assert.All(ids, id => Assert.Equal(ids[0], id));
            Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", ids[0]);
            Assert.Equal(ids[0], before.Id);
            Assert.Equal(ids[0], e.WithTrace(EventTrace.NewTrace()).Id);
            Assert.Equal(ids[0], e.Id);
        }
    }

    [Fact]
    public void Event_Takes80Bytes()
    {
        var e = F.RpcRequestSent("echo", "https://peer");
        var copies = new SecurityEvent[1000];
        copies[0] = e.WithData(e.Data);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = e.WithData(e.Data);
        }
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / copies.Length;
        Assert.True(perEvent <= 80, $"{perEvent} B per event");
        Assert.Equal(e.Id, copies[^1].Id);
    }
}
