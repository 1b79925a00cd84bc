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
        if (traceparent is not null)
        {
            if (IsPlainVersion00(traceparent))
            {
                // The common case, checked here: the Activity takes its trace id, parent span and flags from the
                // string itself, without the intermediate id strings of a parsed ActivityContext.
                activity.SetParentId(traceparent);
            }
            else if (ActivityContext.TryParse(traceparent, null, out var parent))
            {
                activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
            }
        }
        return activity.Start();
    }

    /// <summary>
    /// W3C Trace Context §3.2, version 00 exactly: <c>00-</c>, 32 lower-case hex trace id, <c>-</c>, 16 lower-case hex
    /// parent id, <c>-</c>, 2 hex flags; neither id all zeros. Anything else takes the general parser.
    /// </summary>
    internal static bool IsPlainVersion00(string value)
    {
        if (value.Length != 55 || value[0] != '0' || value[1] != '0' || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }
        var span = value.AsSpan();
        return IsLowerHex(span.Slice(3, 32)) && span.Slice(3, 32).ContainsAnyExcept('0')
            && IsLowerHex(span.Slice(36, 16)) && span.Slice(36, 16).ContainsAnyExcept('0')
            && IsLowerHex(span.Slice(53, 2));
    }

    private static bool IsLowerHex(ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }
        return true;
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
