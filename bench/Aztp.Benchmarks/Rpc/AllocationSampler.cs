using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Aztp.Benchmarks.Rpc;

/// <summary>
/// Tallies the runtime's GCAllocationTick events (one per ~100 KB allocated, naming the type of the allocation that
/// crossed the threshold) by type: a statistical picture of where a load's bytes go, in process.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int GcKeyword = 0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }
        var type = eventData.PayloadNames!.IndexOf("TypeName") is var i and >= 0 ? eventData.Payload[i] as string ?? "?" : "?";
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var j and >= 0
            ? Convert.ToInt64(eventData.Payload[j], CultureInfo.InvariantCulture)
            : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    public void Print(long calls)
    {
        var total = _bytes.Values.Sum();
        Console.WriteLine(FormattableString.Invariant($"sampled allocation: {total / Math.Max(1, calls):N0} B/call"));
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(120))
        {
            Console.WriteLine(FormattableString.Invariant($"{bytes / (double)Math.Max(1, calls),8:F1} B/call  {type}"));
        }
    }
}
