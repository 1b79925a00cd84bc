using System.Collections.Concurrent;
using Aztp.Core;
using Aztp.Core.Internal;

namespace Aztp.Core.Tests;

/// <summary>
/// The monitor's redaction remembers string instances it found clean and does not scan them again. These tests prove
/// that this never lets a secret through: only the very instance is remembered, never a key or a content.
/// </summary>
public class CleanStringsRedactionTests
{
    private const string Jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly94In0.c2ln";
    private const string Pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----";

    // A new instance every time (literals and constant concatenations are interned: one instance per text).
    private static string Fresh(string text) => new(text.AsSpan());

    private static readonly SecurityEventFactory Factory = new("finance", "spiffe://company.org/finance");

    [Fact]
    public void NewStringInstance_HoldingAJwtOrPem_IsRedacted_AfterManyCleanEventsWithTheSameKeys()
    {
        var clean = new CleanStrings();
        var method = Fresh("calculate-tax");
        var peer = Fresh("127.0.0.1:5001");
        for (var i = 0; i < 1000; i++)
        {
            var e = Factory.RpcResponseReceived(method, peer, i * 0.125);
            Assert.Same(e, EventRedactor.Redact(e, clean));
        }
        Assert.True(clean.Contains(method));
        Assert.True(clean.Contains(peer));

        var withJwt = Factory.RpcResponseReceived(method, Fresh("127.0.0.1 " + Jwt), 1.5);
        var r1 = EventRedactor.Redact(withJwt, clean);
        Assert.Equal("127.0.0.1 [REDACTED:JWT]", r1.Data["peer"].AsString());
        Assert.Equal(EventRedactor.Redact(withJwt).ToString(), r1.ToString());

        var withPem = Factory.RpcResponseReceived(Fresh(Pem), peer, 2.5);
        var r2 = EventRedactor.Redact(withPem, clean);
        Assert.Equal(EventRedactor.PemMask, r2.Data["method"].AsString());
        Assert.DoesNotContain("BEGIN", r2.ToString(), StringComparison.Ordinal);

        // A secret is never remembered as clean: the same instance is masked again next time.
        Assert.Equal(EventRedactor.PemMask, EventRedactor.Redact(withPem, clean).Data["method"].AsString());
    }

    [Fact]
    public void StringFirstSeenClean_StaysClean_AndEventsReusingItAreReturnedAsIs()
    {
        var clean = new CleanStrings();
        var reason = Fresh("permitted by allow-payroll");
        var first = Factory.IdentityFailed(reason, detail: Fresh("no secret here"));
        Assert.Same(first, EventRedactor.Redact(first, clean));
        Assert.True(clean.Contains(reason));
        for (var i = 0; i < 100; i++)
        {
            var again = Factory.IdentityFailed(reason, detail: Fresh("still no secret " + i));
            var r = EventRedactor.Redact(again, clean);
            Assert.Same(again, r);
            Assert.Same(reason, r.Data["reason"].AsString());
        }
        Assert.True(clean.Contains(reason));
    }

    [Fact]
    public void StringFoundClean_UnderASensitiveKey_IsStillMasked()
    {
        var clean = new CleanStrings();
        var value = Fresh("opaque-value");
        var plain = SecurityEvent.Create(SecurityEventType.Identity, "a", null, EventSeverity.Info, EventOutcome.Success,
            EventData.Of(new("action", "verified"), new("detail", value)));
        Assert.Same(plain, EventRedactor.Redact(plain, clean));
        Assert.True(clean.Contains(value));

        var sensitive = SecurityEvent.Create(SecurityEventType.Identity, "a", null, EventSeverity.Info, EventOutcome.Success,
            EventData.Of(new("action", "verified"), new("detail", value), new("apiKey", value)));
        var r = EventRedactor.Redact(sensitive, clean);
        Assert.Equal(EventRedactor.Mask, r.Data["apiKey"].AsString());
        Assert.Same(value, r.Data["detail"].AsString());
    }

    [Fact]
    public void CacheHoldsOnlyInstances_NotContents_AndForgetsTheOldestWhenFull()
    {
        var clean = new CleanStrings(4);
        var a = Fresh("a-value");
        clean.Add(a);
        Assert.True(clean.Contains(a));
        Assert.False(clean.Contains(Fresh("a-value")));
        for (var i = 0; i < 4; i++)
        {
            clean.Add(Fresh("other-" + i));
        }
        Assert.False(clean.Contains(a));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CleanStrings(0));
    }

    public static TheoryData<int> Capacities => new() { 1, 4, CleanStrings.DefaultCapacity };

    // Many events of mixed shapes (nested objects, arrays, sensitive keys, secrets in old and new instances, more distinct
    // clean strings than the cache holds): with the cache, every event redacts to exactly what the public Redact gives.
    [Theory]
    [MemberData(nameof(Capacities))]
    public void RedactWithCache_GivesExactlyThePublicResult_ForEveryEventOfAMixedSequence(int capacity)
    {
        var clean = new CleanStrings(capacity);
        var shared = new[] { Fresh("calculate-tax"), Fresh("spiffe://company.org/payroll"), Fresh("10.0.0.7:443"), Fresh("allowed by policy") };
        var secretInstance = Fresh("got " + Jwt + " and " + Pem);
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            string Pick() => random.Next(10) switch
            {
                0 => secretInstance,
                1 => Fresh("Bearer " + Jwt),
                2 => Fresh("distinct-" + i),
                _ => shared[random.Next(shared.Length)],
            };
            var nested = EventData.Of(new("inner", Pick()), new("password", Pick()), new("n", i));
            var data = EventData.Of(
                new("action", "request_received"),
                new("success", true),
                new("method", Pick()),
                new("peer", Pick()),
                new("durationMs", i * 0.5),
                new("list", EventValue.FromStrings([Pick(), Pick()])),
                new("nested", nested),
                new("token", random.Next(2) == 0 ? Pick() : EventValue.Null));
            var e = SecurityEvent.Create(SecurityEventType.Rpc, "finance", null, EventSeverity.Info, EventOutcome.Success, data);
            var expected = EventRedactor.Redact(e);
            var actual = EventRedactor.Redact(e, clean);
            Assert.Equal(expected.ToString(), actual.ToString());
            Assert.Equal(ReferenceEquals(expected, e), ReferenceEquals(actual, e));
        }
    }

    [Fact]
    public async Task Monitor_RedactsASecretInANewInstance_AfterManyCleanResponseEvents_AndDeliversCleanOnesAsIs()
    {
        var seen = new ConcurrentQueue<SecurityEvent>();
        var monitor = new SecurityMonitor(Factory, new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("collector", (e, _) =>
        {
            seen.Enqueue(e);
            return ValueTask.CompletedTask;
        });
        var method = Fresh("calculate-tax");
        var peer = Fresh("127.0.0.1:5001");
        var cleanEvents = new List<SecurityEvent>();
        for (var i = 0; i < 500; i++)
        {
            var e = monitor.Events.RpcResponseReceived(method, peer, i);
            cleanEvents.Add(e);
            await monitor.EmitAsync(e);
        }
        await monitor.EmitAsync(monitor.Events.RpcResponseReceived(method, Fresh("127.0.0.1 " + Jwt), 1));
        await monitor.EmitAsync(monitor.Events.RpcResponseReceived(Fresh(Pem), peer, 2));
        await monitor.DisposeAsync();

        var delivered = seen.ToArray();
        Assert.Equal(502, delivered.Length);
        Assert.Equal(cleanEvents, delivered[..500], ReferenceEqualityComparer.Instance);
        Assert.Equal("127.0.0.1 [REDACTED:JWT]", delivered[500].Data["peer"].AsString());
        Assert.Equal(EventRedactor.PemMask, delivered[501].Data["method"].AsString());
    }

    [Fact]
    public async Task ConcurrentEmitters_NeverGetASecretPastRedaction_AndCleanEventsAreDeliveredAsIs()
    {
        // Redaction runs on the emitting threads, which share the monitor's clean-data and clean-string slots without
        // locks. Four threads emit interleaved clean and secret-bearing events built from the same strings; every
        // secret must be masked and every clean event delivered as the very instance emitted.
        var seen = new ConcurrentQueue<SecurityEvent>();
        var monitor = new SecurityMonitor(Factory, new MonitoringOptions { ConsoleLogging = false, QueueCapacity = 1 << 16 });
        monitor.AddHandler("collector", (e, _) =>
        {
            seen.Enqueue(e);
            return ValueTask.CompletedTask;
        });
        var methods = Enumerable.Range(0, 6).Select(i => Fresh("method-" + i)).ToArray();
        var peers = Enumerable.Range(0, 6).Select(i => Fresh("127.0.0." + i)).ToArray();
        var clean = new ConcurrentDictionary<SecurityEvent, bool>(ReferenceEqualityComparer.Instance);
        const int PerThread = 3000;
        var threads = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            for (var i = 0; i < PerThread; i++)
            {
                var method = methods[random.Next(methods.Length)];
                var peer = peers[random.Next(peers.Length)];
                SecurityEvent e = (i % 7) switch
                {
                    0 => monitor.Events.RpcResponseReceived(method, Fresh(peer + " " + Jwt), i),
                    1 => monitor.Events.RpcResponseSent(Fresh(Pem), peer, peer, i),
                    2 => monitor.Events.RpcResponseReceived(Fresh(method + " " + Pem), peer, i),
                    _ => monitor.Events.RpcResponseReceived(method, peer, i),
                };
                if (i % 7 > 2)
                {
                    clean[e] = true;
                }
                await monitor.EmitAsync(e);
            }
        })).ToArray();
        await Task.WhenAll(threads);
        await monitor.DisposeAsync();

        var delivered = seen.ToArray();
        Assert.Equal(4 * PerThread, delivered.Length);
        var json = string.Join("\n", delivered.Select(e => e.ToString()));
        Assert.DoesNotContain("eyJ", json, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", json, StringComparison.Ordinal);
        Assert.Equal(clean.Count, delivered.Count(clean.ContainsKey));
        Assert.Equal(4 * PerThread - clean.Count, delivered.Count(e => e.ToString().Contains("[REDACTED:", StringComparison.Ordinal)));
    }
}
