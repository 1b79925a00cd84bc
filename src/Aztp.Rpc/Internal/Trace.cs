using System.Diagnostics;
using Aztp.Core;

namespace Aztp.Rpc.Internal;

internal static class Trace
{
    /// <summary>W3C Trace Context header name.</summary>
    public const string Header = "traceparent";

    /// <summary>A sampled W3C traceparent from hex trace and span ids.</summary>
    public static string Format(string traceId, string spanId) => string.Concat("00-", traceId, "-", spanId, "-01");

    /// <summary>Starts the server span of a call, continuing the caller's trace when its traceparent is well formed.</summary>
    public static Activity StartServer(string? traceparent)
    {
        var activity = new Activity("Aztp.Rpc.Server");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        if (traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent))
        {
            activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
        }
        return activity.Start();
    }

    public static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    /// <summary>Emits without ever blocking or failing the caller (used from synchronous TLS and completion callbacks).</summary>
    public static void Post(SecurityMonitor monitor, SecurityEvent e)
    {
        try
        {
            var pending = monitor.EmitAsync(e);
            if (!pending.IsCompleted)
            {
                _ = Observe(pending);
            }
            else
            {
                pending.GetAwaiter().GetResult();
            }
        }
#pragma warning disable CA1031 // Monitoring must never change a call's or a handshake's outcome.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static async Task Observe(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
