using System.Buffers;
using System.Text.Json;
using Aztp.Core;

namespace Aztp.Core.Tests;

/// <summary>
/// rpc response events made call after call for the same method and peer share their data's arrays with an earlier
/// call's and hold only the new duration. Seen from outside, their data must be exactly the data built field by field.
/// </summary>
public class ResponseEventDataTests
{
    private static readonly EventTrace Trace = EventTrace.NewTrace();

    public static TheoryData<string> Kinds => new() { "received", "receivedIds", "receivedTrace", "sent", "sentIpOnly" };

    private static SecurityEvent Make(SecurityEventFactory f, string kind, string method, string peer, double ms) => kind switch
    {
        "received" => f.RpcResponseReceived(method, peer, ms),
        "receivedIds" => f.RpcResponseReceived(method, peer, ms, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"),
        "receivedTrace" => f.RpcResponseReceived(method, peer, ms, Trace),
        "sent" => f.RpcResponseSent(method, peer, "10.0.0.7", ms),
        _ => f.RpcResponseSent(method, null, peer, ms),
    };

    private static EventData Expected(string kind, string method, string peer, double roundedMs) => EventData.Of(
        new("action", kind.StartsWith("received", StringComparison.Ordinal) ? "response_received" : "response_sent"),
        new("success", true), new("method", method), new("peer", peer), new("statusCode", 0), new("durationMs", roundedMs));

    private static string DataJson(EventData data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(writer, data.ToDictionary(p => p.Key, p => p.Value.ToString()));
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void AssertSameInEveryView(EventData expected, EventData actual)
    {
        Assert.True(expected.Equals(actual));
        Assert.True(actual.Equals(expected));
        Assert.True(actual.Equals((object)expected));
        Assert.Equal(expected.GetHashCode(), actual.GetHashCode());
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.Equal(expected.Values, actual.Values);
        Assert.Equal(expected.ToList(), actual.ToList());
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected.KeyAt(i), actual.KeyAt(i));
            Assert.Equal(expected.ValueAt(i), actual.ValueAt(i));
            Assert.Equal(expected.ValueAt(i).Kind, actual.ValueAt(i).Kind);
            Assert.True(actual.TryGetValue(expected.KeyAt(i), out var v));
            Assert.Equal(expected.ValueAt(i), v);
            Assert.Equal(expected[expected.KeyAt(i)], actual[expected.KeyAt(i)]);
            Assert.True(actual.ContainsKey(expected.KeyAt(i)));
        }
        Assert.Equal(expected.Action, actual.Action);
        Assert.Equal(expected.Success, actual.Success);
        Assert.Equal(expected, actual.ToBuilder().Build());
        Assert.Equal(expected.With("extra", 1), actual.With("extra", 1));
        Assert.Equal(expected.With("durationMs", 9.5), actual.With("durationMs", 9.5));
        Assert.Equal(DataJson(expected), DataJson(actual));
        Assert.Throws<IndexOutOfRangeException>(() => actual.ValueAt(actual.Count));
        Assert.Throws<IndexOutOfRangeException>(() => actual.ValueAt(-1));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResponseData_IsTheDataBuiltFieldByField_InEveryViewAndInJson_CallAfterCall(string kind)
    {
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var durations = new[] { 1.0, 2.5, 0.1234567, 1e6, 0.0005, 3.0, 2.5 };
        var made = new List<(SecurityEvent Event, EventData Expected)>();
        foreach (var peer in new[] { "spiffe://company.org/payroll", "spiffe://company.org/hr" })
        {
            foreach (var ms in durations)
            {
                var e = Make(f, kind, "calculate-tax", peer, ms);
                var expected = Expected(kind, "calculate-tax", peer, Math.Round(ms, 3, MidpointRounding.AwayFromZero));
                AssertSameInEveryView(expected, e.Data);
                var rebuilt = e.WithData(expected);
                Assert.Equal(rebuilt.ToString(), e.ToString());
                Assert.Equal(SecurityEventJson.SerializeToUtf8Bytes(rebuilt), SecurityEventJson.SerializeToUtf8Bytes(e));
                Assert.Equal(JsonSerializer.Serialize(rebuilt), JsonSerializer.Serialize(e));
                Assert.Equal(rebuilt, e);
                made.Add((e, expected));
            }
        }
        // Later calls never change an earlier event's data.
        foreach (var (e, expected) in made)
        {
            AssertSameInEveryView(expected, e.Data);
        }
        // Read back from JSON, each writes the same JSON again (a whole-number duration reads back as an integer, as
        // for any event, so the text is compared rather than the values' kinds).
        foreach (var (e, _) in made)
        {
            Assert.Equal(e.ToString(), SecurityEventJson.Deserialize(e.ToString()).ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResponseData_WithANonFiniteDuration_IsRejectedAsBefore_OnFirstAndLaterCalls(string kind)
    {
        var f = new SecurityEventFactory("finance");
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(f, kind, "echo", "spiffe://company.org/p", double.NaN));
        Make(f, kind, "echo", "spiffe://company.org/p", 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(f, kind, "echo", "spiffe://company.org/p", double.PositiveInfinity));
        Assert.Equal(2.0, Make(f, kind, "echo", "spiffe://company.org/p", 2).Data["durationMs"].AsNumber());
    }

    [Fact]
    public void ResponseData_ForTheSameMethodAndPeer_DoesNotCopyItsValuesEachCall()
    {
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var events = new SecurityEvent[1000];
        for (var i = 0; i < 100; i++)
        {
            f.RpcResponseReceived("calculate-tax", "https://127.0.0.1:5001", i, Trace);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = f.RpcResponseReceived("calculate-tax", "https://127.0.0.1:5001", i, Trace);
        }
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)events.Length;
        // The event (88 B) and a data object holding one number (48 B); a copy of the six values alone would add 120 B.
        Assert.True(perCall < 200, $"{perCall:F1} B per event");
        Assert.Equal(999.0, events[^1].Data["durationMs"].AsNumber());
    }

    [Fact]
    public void RedactingResponseData_MasksWhatTheRulesSay_AndKeepsTheDuration()
    {
        var f = new SecurityEventFactory("finance");
        var peer = "got eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        f.RpcResponseReceived("echo", peer, 1);
        var e = f.RpcResponseReceived("echo", peer, 7.25);
        var r = EventRedactor.Redact(e);
        Assert.Equal("got [REDACTED:JWT]", r.Data["peer"].AsString());
        Assert.Equal(7.25, r.Data["durationMs"].AsNumber());
        Assert.Equal(EventValueKind.Number, r.Data["durationMs"].Kind);
    }
}

/// <summary>
/// The monitor skips redaction for data that differs from data it found clean only in one number. These tests prove the
/// skip never lets through what redaction would have masked.
/// </summary>
public class MonitorCleanDataTests
{
    private sealed class Collector : ISecurityEventHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<SecurityEvent> Events { get; } = new();

        public string Name => "collector";

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Events.Enqueue(securityEvent);
            return ValueTask.CompletedTask;
        }
    }

    private static SecurityEvent Event(EventData data) =>
        SecurityEvent.Create(SecurityEventType.Rpc, "finance", null, EventSeverity.Info, EventOutcome.Success, data);

    [Fact]
    public async Task ANumberReplacingAMaskedValueUnderASensitiveKey_IsMasked_ThoughTheOriginalWasClean()
    {
        var collector = new Collector();
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false, Handlers = { collector } });
        // Clean as it is: the value under the sensitive key is already the mask.
        var template = EventData.Of(new("action", "response_sent"), new("apiKey", EventRedactor.Mask), new("durationMs", 1.5));
        var index = template.IndexOfKey("apiKey");
        var first = Event(template);
        await monitor.EmitAsync(first);
        var patched = Event(template.WithNumberAt(index, 42.0));
        await monitor.EmitAsync(patched);
        var durationPatched = Event(template.WithNumberAt(template.IndexOfKey("durationMs"), 2.5));
        await monitor.EmitAsync(durationPatched);
        await monitor.DisposeAsync();

        var seen = collector.Events.ToArray();
        Assert.Same(first, seen[0]);
        Assert.Equal(EventRedactor.Mask, seen[1].Data["apiKey"].AsString());
        Assert.Same(durationPatched, seen[2]);
    }

    [Fact]
    public async Task ResponsesMadeFromDataHoldingASecret_AreEachRedacted_AndCleanOnesDeliveredAsIs()
    {
        var collector = new Collector();
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false, Handlers = { collector } });
        const string secretPeer = "peer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        var clean = new List<SecurityEvent>();
        for (var i = 0; i < 50; i++)
        {
            await monitor.EmitAsync(monitor.Events.RpcResponseSent("echo", secretPeer, "10.0.0.7", i));
            var e = monitor.Events.RpcResponseReceived("echo", "https://127.0.0.1:5001", i);
            clean.Add(e);
            await monitor.EmitAsync(e);
        }
        await monitor.DisposeAsync();

        var seen = collector.Events.ToArray();
        Assert.Equal(100, seen.Length);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("peer [REDACTED:JWT]", seen[2 * i].Data["peer"].AsString());
            Assert.Equal((double)i, seen[2 * i].Data["durationMs"].AsNumber());
            Assert.Same(clean[i], seen[(2 * i) + 1]);
        }
    }

    [Fact]
    public void DiffersAtMostInANumber_HoldsOnlyForTheSameArraysAndANumberPosition()
    {
        var template = EventData.Of(new("action", "x"), new("s", "text"), new("n", 1.0));
        var n = template.IndexOfKey("n");
        var s = template.IndexOfKey("s");
        var a = template.WithNumberAt(n, 2.0);
        var b = template.WithNumberAt(n, 3.0);
        Assert.True(a.DiffersAtMostInANumberFrom(template));
        Assert.True(a.DiffersAtMostInANumberFrom(b));
        Assert.True(template.DiffersAtMostInANumberFrom(template));
        // A number where the clean data held a string, or the clean data being the replaced one: not the same case.
        Assert.False(template.WithNumberAt(s, 2.0).DiffersAtMostInANumberFrom(template));
        Assert.False(template.DiffersAtMostInANumberFrom(a));
        Assert.False(a.DiffersAtMostInANumberFrom(template.WithNumberAt(s, 2.0)));
        // Equal content in other arrays is not enough.
        Assert.False(EventData.Of(new("action", "x"), new("s", "text"), new("n", 1.0)).DiffersAtMostInANumberFrom(template));
        Assert.Throws<ArgumentException>(() => template.WithNumberAt(n, "text"));
        Assert.Throws<ArgumentOutOfRangeException>(() => template.WithNumberAt(3, 1.0));
    }
}
