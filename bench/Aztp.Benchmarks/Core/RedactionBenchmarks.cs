using Aztp.Core;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Core;

/// <summary>
/// The monitor's per-event work at emit on events shaped like an RPC response (six fields: action, success, method, peer,
/// statusCode, durationMs): the method and peer are the same two string instances in every event and the duration is
/// new each time, so every event has new data. Two sets: made by the event factory (as the rpc layer makes them) and
/// built field by field with <see cref="EventData.Of"/> (new arrays every time, nothing shared but the strings).
/// Measured: the public <see cref="EventRedactor.Redact(SecurityEvent)"/> (every string scanned; baseline) and the
/// monitor's Prepare (redaction as EmitAsync does it, plus the metrics check).
/// </summary>
[MemoryDiagnoser]
public class RedactionBenchmarks
{
    private const int Events = 1024;
    private SecurityEvent[] _events = null!;
    private SecurityEvent[] _built = null!;
    private SecurityMonitor _monitor = null!;

    [GlobalSetup]
    public void Setup()
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        // Made at run time, as the rpc layer's strings are: not interned literals.
        var method = string.Concat("calculate", "-tax".AsSpan());
        var peer = string.Concat("https://127.0.0.1", ":5001".AsSpan());
        _events = new SecurityEvent[Events];
        _built = new SecurityEvent[Events];
        for (var i = 0; i < Events; i++)
        {
            _events[i] = factory.RpcResponseReceived(method, peer, 40 + (i * 0.001));
            _built[i] = factory.Create(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success, EventData.Of(
                new("action", "response_received"), new("success", true), new("method", method), new("peer", peer),
                new("statusCode", 0), new("durationMs", 40 + (i * 0.001))));
        }
        // No events are emitted: its dispatcher stays idle, so Prepare runs on this thread alone, as it does on an emitting thread.
        _monitor = new SecurityMonitor(factory, new MonitoringOptions { ConsoleLogging = false });
    }

    [GlobalCleanup]
    public ValueTask Cleanup() => _monitor.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "EventRedactor.Redact (public), factory data")]
    public int PublicRedact() => Redact(_events);

    [Benchmark(OperationsPerInvoke = Events, Description = "SecurityMonitor.Prepare, factory data")]
    public int MonitorPrepare() => Prepare(_events);

    [Benchmark(OperationsPerInvoke = Events, Description = "EventRedactor.Redact (public), data built by field")]
    public int PublicRedactBuilt() => Redact(_built);

    [Benchmark(OperationsPerInvoke = Events, Description = "SecurityMonitor.Prepare, data built by field")]
    public int MonitorPrepareBuilt() => Prepare(_built);

    private static int Redact(SecurityEvent[] events)
    {
        var changed = 0;
        foreach (var e in events)
        {
            changed += ReferenceEquals(EventRedactor.Redact(e), e) ? 0 : 1;
        }
        return changed;
    }

    private int Prepare(SecurityEvent[] events)
    {
        var changed = 0;
        foreach (var e in events)
        {
            changed += ReferenceEquals(_monitor.Prepare(e), e) ? 0 : 1;
        }
        return changed;
    }
}
