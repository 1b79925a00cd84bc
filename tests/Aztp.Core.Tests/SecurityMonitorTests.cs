using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Aztp.Core;
using Microsoft.Extensions.Logging;

namespace Aztp.Core.Tests;

public class SecurityMonitorTests
{
    private static SecurityEvent Rpc(int i) => SecurityEvent.Create(SecurityEventType.Rpc, "finance", "spiffe://company.org/finance",
        EventSeverity.Info, EventOutcome.Success, EventData.Of(new("action", "request_received"), new("success", true), new("method", "calculate-tax"), new("n", i)));

    private sealed class Collector(string name = "collector") : ISecurityEventHandler
    {
        public ConcurrentQueue<SecurityEvent> Events { get; } = new();

        public string Name => name;

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Events.Enqueue(securityEvent);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task ConsoleLine_IsOneLinePerEvent_WithPrefixAndEveryField()
    {
        var output = new MemoryStream();
        using var activity = new Activity("call").SetIdFormat(ActivityIdFormat.W3C).Start();
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleOutput = output });
        monitor.SetSpiffeId("spiffe://company.org/finance");
        var emitted = new[]
        {
            monitor.Events.IdentityVerified("spiffe://company.org/payroll", "10.0.0.7"),
            monitor.Events.PolicyEvaluated(false, "spiffe://company.org/marketing", "calculate-tax", "marketing may not call finance", ["forbid-marketing"]),
            monitor.Events.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "10.0.0.7"),
        };
        foreach (var e in emitted)
        {
            await monitor.EmitAsync(e);
        }
        await monitor.DisposeAsync();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            Assert.StartsWith("[AZTP:EVENT] {", lines[i], StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(lines[i]["[AZTP:EVENT] ".Length..]);
            var root = doc.RootElement;
            Assert.Equal(emitted[i].Id, root.GetProperty("id").GetString());
            Assert.Equal(SecurityEventJson.TypeName(emitted[i].Type), root.GetProperty("type").GetString());
            Assert.Equal("finance", root.GetProperty("agentId").GetString());
            Assert.Equal("spiffe://company.org/finance", root.GetProperty("spiffeId").GetString());
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", root.GetProperty("timestamp").GetString());
            Assert.Equal(activity.TraceId.ToHexString(), root.GetProperty("traceId").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), root.GetProperty("spanId").GetString());
            Assert.Equal(SecurityEventJson.SeverityName(emitted[i].Severity), root.GetProperty("severity").GetString());
            Assert.Equal(SecurityEventJson.OutcomeName(emitted[i].Outcome), root.GetProperty("outcome").GetString());
            Assert.Equal(emitted[i].Actor!.Id, root.GetProperty("actor").GetProperty("id").GetString());
            Assert.Equal(emitted[i].Data.Action, root.GetProperty("data").GetProperty("action").GetString());
            Assert.Equal(emitted[i], SecurityEventJson.Deserialize(lines[i]["[AZTP:EVENT] ".Length..]));
        }
        // The reference's example shapes, field for field.
        using var identity = JsonDocument.Parse(lines[0]["[AZTP:EVENT] ".Length..]);
        Assert.True(identity.RootElement.GetProperty("data").GetProperty("success").GetBoolean());
        Assert.Equal("spiffe://company.org/payroll", identity.RootElement.GetProperty("data").GetProperty("spiffeId").GetString());
        using var policy = JsonDocument.Parse(lines[1]["[AZTP:EVENT] ".Length..]);
        Assert.False(policy.RootElement.GetProperty("data").GetProperty("allowed").GetBoolean());
        Assert.Equal("marketing may not call finance", policy.RootElement.GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ConsoleLoggingFalse_WritesNothing()
    {
        var output = new MemoryStream();
        var collector = new Collector();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, ConsoleOutput = output, Handlers = { collector } });
        await monitor.EmitAsync(Rpc(1));
        await monitor.DisposeAsync();
        Assert.Equal(0, output.Length);
        Assert.Single(collector.Events);
    }

    [Fact]
    public async Task Handlers_SeeEventsInEmissionOrder_AndOnEventRuns()
    {
        var fromOnEvent = new ConcurrentQueue<int>();
        var collector = new Collector();
        var monitor = new SecurityMonitor("a", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, _) => { fromOnEvent.Enqueue((int)e.Data["n"].AsInteger()!); return ValueTask.CompletedTask; },
            Handlers = { collector },
        });
        for (var i = 0; i < 5000; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        await monitor.FlushAsync();
        Assert.Equal(Enumerable.Range(0, 5000), fromOnEvent);
        Assert.Equal(Enumerable.Range(0, 5000), collector.Events.Select(e => (int)e.Data["n"].AsInteger()!));
        await monitor.DisposeAsync();
    }

    [Fact]
    public async Task ThrowingHandler_IsReportedAndIsolated()
    {
        var collector = new Collector();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("thrower", (e, _) => e.Type == SecurityEventType.Rpc ? throw new InvalidOperationException("boom with secret") : ValueTask.CompletedTask);
        monitor.AddHandler("async-thrower", async (e, ct) => { await Task.Yield(); if (e.Type == SecurityEventType.Rpc) { throw new IOException("disk"); } });
        monitor.AddHandler(collector);
        for (var i = 0; i < 10; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        await monitor.FlushAsync();
        await monitor.FlushAsync(); // the failure reports are emitted by the pumps; a second flush passes them too
        await monitor.DisposeAsync();

        Assert.Equal(10, collector.Events.Count(e => e.Type == SecurityEventType.Rpc));
        var failures = collector.Events.Where(e => e.Type == SecurityEventType.Monitoring).ToList();
        Assert.Equal(20, failures.Count);
        Assert.All(failures, f =>
        {
            Assert.Equal(EventActions.HandlerFailed, f.Data.Action);
            Assert.Equal(EventSeverity.Error, f.Severity);
            Assert.Equal(EventOutcome.Error, f.Outcome);
            Assert.DoesNotContain("secret", f.ToString(), StringComparison.Ordinal);
        });
        Assert.Equal(10, failures.Count(f => f.Data["handler"].AsString() == "thrower" && f.Data["errorType"].AsString() == typeof(InvalidOperationException).FullName));
        Assert.Equal(20, monitor.Statistics.HandlerFailures);
    }

    // A batch handler whose first call ignores its token and reads its list only after the monitor gave up on it.
    private sealed class LateReader : IBatchSecurityEventHandler
    {
        public readonly TaskCompletionSource<long[]> SeenLate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource TimedOut = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Calls;

        public string Name => "late-reader";

        public int MaxBatchSize => 1024;

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Calls) > 1)
            {
                return;
            }
            await TimedOut.Task; // until the test has seen the timeout and later batches went through
            SeenLate.SetResult(batch.Select(e => e.Data["n"].AsInteger()!.Value).ToArray());
        }
    }

    [Fact]
    public async Task TimedOutBatchCall_KeepsItsOwnList_WhileLaterBatchesAreDelivered()
    {
        var handler = new LateReader();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, HandlerTimeout = TimeSpan.FromMilliseconds(100) });
        monitor.AddHandler(handler);
        await monitor.EmitAsync(Rpc(1));
        await monitor.EmitAsync(Rpc(2));
        await monitor.FlushAsync(); // the first call ends here, by timeout
        Assert.Equal(1, monitor.Statistics.HandlerTimeouts);
        for (var i = 100; i < 110; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        await monitor.FlushAsync();
        Assert.True(Volatile.Read(ref handler.Calls) >= 2);
        handler.TimedOut.SetResult();
        var seen = await handler.SeenLate.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(new long[] { 1, 2 }, seen);
        await monitor.DisposeAsync();
    }

    [Fact]
    public async Task HangingHandler_TimesOut_AndDoesNotDelayOtherHandlers()
    {
        var collector = new Collector();
        var cancelled = 0;
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, HandlerTimeout = TimeSpan.FromMilliseconds(150) });
        monitor.AddHandler("hanger", async (e, ct) =>
        {
            if (e.Type != SecurityEventType.Rpc) { return; }
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { Interlocked.Increment(ref cancelled); throw; }
        });
        monitor.AddHandler(collector);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        // The collector gets all five long before the hanger has timed out on even two of them.
        while (collector.Events.Count(e => e.Type == SecurityEventType.Rpc) < 5)
        {
            await Task.Delay(5);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "other handler was blocked by the hanging one");
        }
        // Measured against the hanger's own timeouts, not the wall clock (a loaded machine stretches both alike): the
        // hanger's pump, one event at a time, has not yet had its second timeout.
        Assert.True(Volatile.Read(ref cancelled) < 2, $"the other handler got its five events only after {cancelled} timeouts ({sw.Elapsed})");
        await monitor.FlushAsync();
        await monitor.FlushAsync();
        await monitor.DisposeAsync();
        var timeouts = collector.Events.Where(e => e.Data.Action == EventActions.HandlerTimeout).ToList();
        Assert.Equal(5, timeouts.Count);
        Assert.All(timeouts, t => Assert.Equal("hanger", t.Data["handler"].AsString()));
        Assert.Equal(5, monitor.Statistics.HandlerTimeouts);
        Assert.Equal(5, Volatile.Read(ref cancelled));
    }

    [Fact]
    public async Task Backpressure_SlowHandler_LosesNothing_AndReportsEpisodes()
    {
        const int producers = 4, perProducer = 25_000;
        var counts = new int[producers];
        var outOfOrder = 0;
        var last = new int[producers];
        Array.Fill(last, -1);
        var spins = 0;
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, QueueCapacity = 64 });
        var backpressure = 0;
        monitor.AddHandler("slow", async (e, _) =>
        {
            if (e.Type == SecurityEventType.Monitoring) { if (e.Data.Action == EventActions.Backpressure) { backpressure++; } return; }
            var p = (int)e.Data["p"].AsInteger()!;
            var n = (int)e.Data["n"].AsInteger()!;
            if (n != last[p] + 1) { outOfOrder++; }
            last[p] = n;
            counts[p]++;
            if (++spins % 1000 == 0) { await Task.Delay(1, CancellationToken.None); } // periodically slow: queues fill, producers wait
        });
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var n = 0; n < perProducer; n++)
            {
                await monitor.EmitAsync(SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success,
                    EventData.Of(new("action", "x"), new("p", p), new("n", n))));
            }
        })));
        await monitor.DisposeAsync();
        Assert.Equal(producers * perProducer, counts.Sum());
        Assert.All(counts, c => Assert.Equal(perProducer, c));
        Assert.Equal(0, outOfOrder);
        Assert.True(monitor.Statistics.BackpressureEpisodes >= 1);
        Assert.Equal(monitor.Statistics.BackpressureEpisodes, backpressure);
        Assert.Equal(0, monitor.Statistics.Undelivered);
    }

    [Fact]
    public async Task Dispose_DrainsEveryQueuedEvent()
    {
        var collector = new Collector();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("slowish", async (_, _) => await Task.Yield());
        monitor.AddHandler(collector);
        for (var i = 0; i < 2000; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        await monitor.DisposeAsync();
        Assert.Equal(2000, collector.Events.Count);
        Assert.Equal(4000, monitor.Statistics.Delivered);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await monitor.EmitAsync(Rpc(0)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => monitor.FlushAsync());
    }

    [Fact]
    public async Task EmitRacingDispose_EveryAcceptedEventIsDelivered_AndEveryRefusedOneThrows()
    {
        // An emit that returns normally must reach the handler (or be counted as undelivered); one that loses the
        // race must throw ObjectDisposedException. Hundreds of rounds with emitters spinning while DisposeAsync runs.
        for (var round = 0; round < 300; round++)
        {
            var collector = new Collector();
            var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, QueueCapacity = 64, Handlers = { collector } });
            using var go = new ManualResetEventSlim();
            var accepted = new int[2];
            var emitters = Enumerable.Range(0, 2).Select(p => Task.Run(async () =>
            {
                go.Wait();
                for (var n = 0; ; n++)
                {
                    try
                    {
                        await monitor.EmitAsync(Rpc(n));
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                    accepted[p]++;
                }
            })).ToArray();
            go.Set();
            await Task.Delay(round % 3);
            await monitor.DisposeAsync();
            await Task.WhenAll(emitters);
            var stats = monitor.Statistics;
            // Emitted also counts the monitor's own events (a backpressure report when the emitters fill the queue); one
            // raised after the final drain cannot be delivered and must then be counted as undelivered.
            Assert.Equal(accepted.Sum(), collector.Events.Count(e => e.Type == SecurityEventType.Rpc));
            Assert.Equal(stats.Emitted, collector.Events.Count + stats.Undelivered);
            Assert.Equal(stats.Emitted, stats.Delivered + stats.Undelivered);
        }
    }

    [Fact]
    public async Task Dispose_WithStuckHandler_GivesUpAfterShutdownTimeout_AndReportsUndelivered()
    {
        var stderr = new StringWriter();
        var original = Console.Error;
        var release = new TaskCompletionSource();
        var monitor = new SecurityMonitor("a", new MonitoringOptions
        {
            ConsoleLogging = false,
            HandlerTimeout = Timeout.InfiniteTimeSpan,
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
        });
        monitor.AddHandler("stuck", async (_, _) => await release.Task);
        for (var i = 0; i < 10; i++)
        {
            await monitor.EmitAsync(Rpc(i));
        }
        var sw = Stopwatch.StartNew();
        Console.SetError(stderr);
        try
        {
            await monitor.DisposeAsync();
        }
        finally
        {
            Console.SetError(original);
            release.TrySetResult();
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {sw.Elapsed}");
        Assert.True(monitor.Statistics.Undelivered >= 9, $"undelivered {monitor.Statistics.Undelivered}");
        Assert.Contains("[AZTP:MONITOR] shutdown timeout", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsSharingData_AreEachRedacted_AndCleanSharedDataIsDeliveredAsIs()
    {
        var collector = new Collector();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, Handlers = { collector } });
        var secret = EventData.Of(new("action", "failed"), new("detail", "got -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"));
        var clean = EventData.Of(new("action", "verified"), new("detail", "fine"));
        var cleanEvents = new List<SecurityEvent>();
        for (var i = 0; i < 6; i++)
        {
            // Interleaved with other data, so the clean data's remembered check is tested after other entries.
            await monitor.EmitAsync(monitor.Events.Create(SecurityEventType.Identity, EventSeverity.Warning, EventOutcome.Failure, secret));
            var e = monitor.Events.Create(SecurityEventType.Identity, EventSeverity.Info, EventOutcome.Success, clean);
            cleanEvents.Add(e);
            await monitor.EmitAsync(e);
            await monitor.EmitAsync(monitor.Events.Create(SecurityEventType.Identity, EventSeverity.Info, EventOutcome.Success,
                EventData.Of(new("action", "verified"), new("n", i))));
        }
        await monitor.DisposeAsync();

        var redacted = collector.Events.Where(e => e.Data["action"].AsString() == "failed").ToList();
        Assert.Equal(6, redacted.Count);
        Assert.All(redacted, e => Assert.Equal("got [REDACTED:PEM]", e.Data["detail"].AsString()));
        var delivered = collector.Events.Where(e => e.Data.TryGetValue("detail", out var d) && d.AsString() == "fine").ToList();
        Assert.Equal(cleanEvents, delivered, ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public async Task Events_AreRedactedBeforeAnyHandlerSeesThem()
    {
        var collector = new Collector();
        var output = new MemoryStream();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleOutput = output, Handlers = { collector } });
        await monitor.EmitAsync(SecurityEvent.Create(SecurityEventType.Identity, "a", null, EventSeverity.Warning, EventOutcome.Failure,
            EventData.Of(new("action", "failed"), new("detail", "got -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"), new("token", "abc"))));
        await monitor.DisposeAsync();
        var seen = Assert.Single(collector.Events);
        Assert.Equal("got [REDACTED:PEM]", seen.Data["detail"].AsString());
        Assert.Equal("[REDACTED]", seen.Data["token"].AsString());
        var console = Encoding.UTF8.GetString(output.ToArray());
        Assert.DoesNotContain("BEGIN CERTIFICATE", console, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TraceIds_ComeFromCurrentActivity_AndAreAbsentWithoutOne()
    {
        Activity.Current = null;
        var without = SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success, EventData.Empty);
        Assert.Null(without.TraceId);
        Assert.Null(without.SpanId);

        using var parent = new Activity("parent").SetIdFormat(ActivityIdFormat.W3C).Start();
        using var child = new Activity("child").SetIdFormat(ActivityIdFormat.W3C).Start();
        var with = SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success, EventData.Empty);
        Assert.Equal(parent.TraceId.ToHexString(), with.TraceId);
        Assert.Equal(child.SpanId.ToHexString(), with.SpanId);
        Assert.Matches("^[0-9a-f]{32}$", with.TraceId);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Metrics_CountEventsByTypeAndOutcome()
    {
        var seen = new ConcurrentBag<(string Type, string Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Aztp" && instrument.Name == "aztp.events") { l.EnableMeasurementEvents(instrument); }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? type = null, outcome = null;
            foreach (var t in tags)
            {
                if (t.Key == "type") { type = (string?)t.Value; }
                if (t.Key == "outcome") { outcome = (string?)t.Value; }
            }
            if (type is not null && outcome is not null && value == 1) { seen.Add((type, outcome)); }
        });
        listener.Start();
        var monitor = new SecurityMonitor("metrics-agent", new MonitoringOptions { ConsoleLogging = false });
        await monitor.EmitAsync(monitor.Events.PolicyEvaluated(false, "spiffe://td/x", "m", "no"));
        await monitor.EmitAsync(monitor.Events.IdentityVerified("spiffe://td/x"));
        await monitor.DisposeAsync();
        Assert.Contains(("policy", "denied"), seen);
        Assert.Contains(("identity", "success"), seen);
    }

    private sealed class ListLogger : ILogger, ILoggerFactory, ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, IReadOnlyList<KeyValuePair<string, object?>> State, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], formatter(state, exception)));

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }
    }

    [Fact]
    public async Task LoggerBridge_WritesStructuredEntries_AtTheSeverityLevel()
    {
        var logger = new ListLogger();
        var monitor = new SecurityMonitor("a", new MonitoringOptions { ConsoleLogging = false, LoggerFactory = logger });
        var denied = monitor.Events.PolicyEvaluated(false, "spiffe://td/x", "calculate-tax", "nope");
        await monitor.EmitAsync(denied);
        await monitor.DisposeAsync();
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        var state = entry.State.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(denied.Id, state["EventId"]);
        Assert.Equal("policy", state["Type"]);
        Assert.Equal("evaluated", state["Action"]);
        Assert.Equal("denied", state["Outcome"]);
    }

    public static TheoryData<int, string> BadOptions => new()
    {
        { 0, "QueueCapacity" },
        { 1, "HandlerTimeout" },
        { 2, "ShutdownTimeout" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_AreValidatedEagerly_NamingTheOption(int which, string name)
    {
        var o = new MonitoringOptions();
        switch (which)
        {
            case 0: o.QueueCapacity = 0; break;
            case 1: o.HandlerTimeout = TimeSpan.Zero; break;
            default: o.ShutdownTimeout = TimeSpan.FromSeconds(-1); break;
        }
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SecurityMonitor("a", o));
        Assert.Contains("MonitoringOptions." + name, ex.Message, StringComparison.Ordinal);
    }
}

public class ConsoleEventWriterTests
{
    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.Length);
            Assert.Equal((byte)'\n', buffer.Span[^1]);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public async Task Batch_IsWrittenInPipeAtomicChunks_EndingOnLineBoundaries()
    {
        var stream = new RecordingStream();
        using var writer = new ConsoleEventWriter(stream);
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var batch = Enumerable.Range(0, 100).Select(i => factory.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1")).ToList();
        await writer.HandleBatchAsync(batch, CancellationToken.None);
        Assert.True(stream.Writes.Count > 1);
        Assert.All(stream.Writes, w => Assert.InRange(w, 1, ConsoleEventWriter.MaxWriteBytes));
        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(batch.Select(e => ConsoleEventWriter.FormatLine(e)), lines);
    }
}

public class MonitorMetricsTests
{
    [Fact]
    public async Task HandlerFailuresAndQueueDepth_AreMeasured()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<(string Handler, string Kind)>();
        long depth = 0, maxDepth = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Aztp") { l.EnableMeasurementEvents(instrument); }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "aztp.monitor.handler_failures")
            {
                string? handler = null, kind = null;
                foreach (var t in tags)
                {
                    if (t.Key == "handler") { handler = (string?)t.Value; }
                    if (t.Key == "kind") { kind = (string?)t.Value; }
                }
                if (handler == "metrics-thrower") { failures.Add((handler, kind!)); }
            }
            else if (instrument.Name == "aztp.monitor.queue_depth")
            {
                var now = Interlocked.Add(ref depth, value);
                if (now > Volatile.Read(ref maxDepth)) { Volatile.Write(ref maxDepth, now); }
            }
        });
        listener.Start();
        var gate = new TaskCompletionSource();
        var monitor = new SecurityMonitor("metrics", new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("metrics-thrower", (e, _) => e.Type == SecurityEventType.Rpc ? throw new InvalidOperationException() : ValueTask.CompletedTask);
        monitor.AddHandler("metrics-gated", async (_, _) => await gate.Task);
        for (var i = 0; i < 3; i++)
        {
            await monitor.EmitAsync(monitor.Events.RpcRequestSent("m", "p"));
        }
        // The gated handler holds its events, so the depth must reach at least 2 (its queued events).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref maxDepth) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue depth peaked at {maxDepth}");
            await Task.Delay(5);
        }
        gate.SetResult();
        await monitor.DisposeAsync();
        Assert.Equal(3, failures.Count(f => f.Kind == "exception"));
    }
}

public class SecurityMonitorRetentionTests
{
    private sealed class CountingBatchHandler : IBatchSecurityEventHandler
    {
        public int Count;

        public string Name => "batch";

        public int MaxBatchSize => 16;

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return ValueTask.CompletedTask;
        }

        public ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> events, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref Count, events.Count);
            return ValueTask.CompletedTask;
        }
    }

    // Made outside the test method so that no local of the test keeps the events alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference[]> EmitAsync(SecurityMonitor monitor, int count)
    {
        var refs = new WeakReference[count];
        for (var i = 0; i < count; i++)
        {
            var e = monitor.Events.RpcRequestReceived("echo", "spiffe://company.org/caller", "10.0.0." + i);
            refs[i] = new WeakReference(e);
            await monitor.EmitAsync(e);
        }
        return refs;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(300)]
    public async Task DeliveredEvents_AreNoLongerReferencedByThePipeline(int count)
    {
        var batch = new CountingBatchHandler();
        var seen = 0;
        await using var monitor = new SecurityMonitor("finance", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (_, _) =>
            {
                Interlocked.Increment(ref seen);
                return ValueTask.CompletedTask;
            },
            Handlers = { batch },
        });
        var refs = await EmitAsync(monitor, count);
        await monitor.FlushAsync();
        Assert.Equal(count, Volatile.Read(ref seen));
        Assert.Equal(count, Volatile.Read(ref batch.Count));
        // The monitor is still running (its dispatcher and pumps are waiting for the next events) while we look.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(0, refs.Count(r => r.IsAlive));
    }
}

public class SecurityMonitorRingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    public async Task ManyProducers_SmallQueue_EveryEventDeliveredOnce_InEachProducersOrder(int capacity)
    {
        const int Producers = 6;
        const int PerProducer = 1500;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(int Producer, int N)>();
        await using var monitor = new SecurityMonitor("a", new MonitoringOptions
        {
            ConsoleLogging = false,
            QueueCapacity = capacity,
            OnEvent = (e, _) =>
            {
                if (e.Type == SecurityEventType.Rpc)
                {
                    seen.Enqueue(((int)e.Data["p"].AsInteger()!, (int)e.Data["n"].AsInteger()!));
                }
                return ValueTask.CompletedTask;
            },
        });
        var tasks = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var n = 0; n < PerProducer; n++)
            {
                await monitor.EmitAsync(monitor.Events.Create(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success,
                    EventData.Of(new KeyValuePair<string, EventValue>("p", p), new KeyValuePair<string, EventValue>("n", n))));
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        await monitor.FlushAsync();
        var all = seen.ToArray();
        Assert.Equal(Producers * PerProducer, all.Length);
        for (var p = 0; p < Producers; p++)
        {
            Assert.Equal(Enumerable.Range(0, PerProducer), all.Where(x => x.Producer == p).Select(x => x.N));
        }
        var stats = monitor.Statistics;
        Assert.Equal(stats.Emitted, stats.Delivered);
        Assert.Equal(0, stats.QueueDepth);
    }

    [Fact]
    public async Task EventsEmittedWhileTheDispatcherLingers_AreDelivered_InOrder_WithoutAFlush()
    {
        // The first event wakes the dispatcher, which then lingers between batches; the events emitted meanwhile do not
        // wake it, and must still reach the handler when the linger ends (no flush, no disposal to push them along).
        var seen = new ConcurrentQueue<SecurityEvent>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int count = 20;
        await using var monitor = new SecurityMonitor("finance", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, _) =>
            {
                seen.Enqueue(e);
                firstSeen.TrySetResult();
                if (seen.Count == count)
                {
                    all.TrySetResult();
                }
                return ValueTask.CompletedTask;
            },
        });
        var emitted = Enumerable.Range(0, count).Select(i => SecurityEvent.Create(SecurityEventType.Rpc, "finance", null, EventSeverity.Info,
            EventOutcome.Success, EventData.Of(new("action", "request_received"), new("n", i)))).ToArray();
        await monitor.EmitAsync(emitted[0]);
        await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i < count; i++)
        {
            await monitor.EmitAsync(emitted[i]);
        }

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(emitted.Select(e => e.Id), seen.Select(e => e.Id));
    }
}
