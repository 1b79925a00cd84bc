using System.Diagnostics.Tracing;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Aztp.Benchmarks.Rpc;

/// <summary>
/// Records, in process, each garbage collection's condemned generation and reason (GCStart) and what it promoted
/// (GCHeapStats: bytes promoted out of gen 0 and out of gen 1, pinned objects, GC handles): what a load leaves alive.
/// </summary>
internal sealed class GcRecorder : EventListener
{
    private const int GcKeyword = 0x1;
    private const int JitKeyword = 0x10;
    private readonly List<string> _jitted = [];

    /// <summary>Whether methods compiled from now on are recorded by name.</summary>
    public bool RecordJit { get; set; }
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<(int Depth, int Reason)>> _starts = [];
    private readonly Dictionary<string, List<(long Promoted0, long Promoted1, long Gen1Size, long Pinned, long Handles)>> _stats = [];
    private volatile string? _label;

    /// <summary>The bucket that GCs from now on are counted in (none when null).</summary>
    public string? Label
    {
        get => _label;
        set => _label = value;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)(GcKeyword | JitKeyword));
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }
        long Get(string field) => e.PayloadNames.IndexOf(field) is var i and >= 0 ? Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture) : 0;
        if (RecordJit && name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal))
        {
            var ns = e.PayloadNames.IndexOf("MethodNamespace") is var a and >= 0 ? e.Payload[a] as string : null;
            var method = e.PayloadNames.IndexOf("MethodName") is var b and >= 0 ? e.Payload[b] as string : null;
            var flags = Get("MethodFlags");
            lock (_gate)
            {
                _jitted.Add($"{ns}::{method} (flags 0x{flags:x})");
            }
            return;
        }
        if (name.StartsWith("GC", StringComparison.Ordinal) is false)
        {
            return;
        }
        if (_label is not { } label)
        {
            return;
        }
        if (name.StartsWith("GCStart", StringComparison.Ordinal))
        {
            lock (_gate)
            {
                (CollectionsMarshal.GetValueRefOrAddDefault(_starts, label, out _) ??= []).Add(((int)Get("Depth"), (int)Get("Reason")));
            }
        }
        else if (name.StartsWith("GCHeapStats", StringComparison.Ordinal))
        {
            lock (_gate)
            {
                (CollectionsMarshal.GetValueRefOrAddDefault(_stats, label, out _) ??= []).Add((Get("TotalPromotedSize0"), Get("TotalPromotedSize1"), Get("GenerationSize1"), Get("PinnedObjectCount"), Get("GCHandleCount")));
            }
        }
    }

    public void PrintJitted()
    {
        lock (_gate)
        {
            Console.WriteLine($"methods compiled while recording: {_jitted.Count}");
            foreach (var group in _jitted.GroupBy(m => m).OrderByDescending(g => g.Count()).Take(150))
            {
                Console.WriteLine($"  {group.Count()} × {group.Key}");
            }
        }
    }

    public void Print(string label, long calls)
    {
        lock (_gate)
        {
            var starts = _starts.GetValueOrDefault(label) ?? [];
            var stats = _stats.GetValueOrDefault(label) ?? [];
            var n = Math.Min(starts.Count, stats.Count);
            if (n == 0)
            {
                Console.WriteLine($"{label}: no GCs recorded");
                return;
            }
            var byDepth = new int[3];
            var reasons = new Dictionary<int, int>();
            double p0 = 0, p1 = 0, g1 = 0, pinned = 0, handles = 0;
            double p0Gen0Only = 0;
            var gen0Only = 0;
            for (var i = 0; i < n; i++)
            {
                byDepth[Math.Min(2, starts[i].Depth)]++;
                reasons[starts[i].Reason] = reasons.GetValueOrDefault(starts[i].Reason) + 1;
                p0 += stats[i].Promoted0;
                p1 += stats[i].Promoted1;
                g1 += stats[i].Gen1Size;
                pinned += stats[i].Pinned;
                handles += stats[i].Handles;
                if (starts[i].Depth == 0)
                {
                    gen0Only++;
                    p0Gen0Only += stats[i].Promoted0;
                }
            }
            Console.WriteLine(FormattableString.Invariant(
                $"{label}: {n} GCs (gen0-only {byDepth[0]}, gen1 {byDepth[1]}, gen2 {byDepth[2]}) for {calls:N0} calls; per GC: promoted out of gen0 {p0 / n / 1024:F0} KB (gen0-only GCs {(gen0Only == 0 ? 0 : p0Gen0Only / gen0Only / 1024):F0} KB), out of gen1 {p1 / n / 1024:F0} KB, gen1 size after {g1 / n / 1024:F0} KB, pinned {pinned / n:F1}, handles {handles / n:F0}; reasons {string.Join(", ", reasons.Select(r => $"{r.Key}:{r.Value}"))}"));
        }
    }
}
