using System.Diagnostics;
using Aztp.Core;

namespace Aztp.Rpc.Internal;

internal static class Trace
{
    /// <summary>W3C Trace Context header name.</summary>
    public const string Header = "traceparent";

    /// <summary>The source of the server span: tracing listeners (OpenTelemetry: <c>AddSource("Aztp.Rpc")</c>) subscribe to it.</summary>
    public static readonly ActivitySource Source = new("Aztp.Rpc");

    /// <summary>The server span's operation name.</summary>
    public const string ServerActivityName = "Aztp.Rpc.Server";

    /// <summary>
    /// Puts the server side of a call in the caller's trace when its traceparent is well formed (a new trace
    /// otherwise). When a tracing listener samples the span, it is an <see cref="Activity"/> (returned; it is
    /// <see cref="Activity.Current"/> and the caller disposes it); otherwise the call's position is an
    /// <see cref="EventTrace"/> made <see cref="EventTrace.Current"/> for the rest of the calling async method, which
    /// costs one small object instead of an activity. Either way events, the policy context and the handler's own
    /// events and outgoing calls see the same trace id, returned in <paramref name="traceId"/>.
    /// </summary>
    public static Activity? StartServer(string? traceparent, out string traceId)
    {
        var activity = StartServerTrace(traceparent, out var trace);
        traceId = TraceIdOf(activity, trace);
        return activity;
    }

    /// <summary>
    /// <see cref="StartServer"/> without formatting the trace id: the call's position is the returned activity or,
    /// when there is none, <paramref name="eventTrace"/>, whose id text is made only when something reads it (events
    /// with a no-op handler and a policy that never reads <c>context.traceId</c> never do).
    /// </summary>
    public static Activity? StartServerTrace(string? traceparent, out EventTrace? eventTrace)
    {
        if (Source.HasListeners())
        {
            var activity = traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent)
                ? Source.StartActivity(ServerActivityName, ActivityKind.Server, parent)
                : Source.StartActivity(ServerActivityName, ActivityKind.Server);
            if (activity is { IdFormat: ActivityIdFormat.W3C })
            {
                // Events read EventTrace.Current before Activity.Current: an outer flow's position must not shadow the span.
                EventTrace.Current = null;
                eventTrace = null;
                return activity;
            }
            activity?.Dispose();
        }
        var trace = EventTrace.ContinueOrStart(traceparent);
        EventTrace.Current = trace;
        eventTrace = trace;
        return null;
    }

    /// <summary>The trace id of a position returned by <see cref="StartServerTrace"/>.</summary>
    public static string TraceIdOf(Activity? activity, EventTrace? eventTrace) =>
        activity is not null ? activity.TraceId.ToHexString() : eventTrace!.TraceId;

    /// <summary>
    /// The trace position of an outgoing call: a new span in the ambient trace (<see cref="EventTrace.Current"/>, else a
    /// W3C <see cref="Activity.Current"/>), or in a new trace.
    /// </summary>
    public static EventTrace StartClient() =>
        EventTrace.Current is { } current ? current.NewChild()
        : Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? EventTrace.ChildOf(activity.TraceId)
        : EventTrace.NewTrace();

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
