using System.Diagnostics;
using Aztp.Core;
using Aztp.Grpc;

namespace Aztp.Rpc.Internal;

/// <summary>Client side of a secured call: W3C traceparent in metadata, <c>rpc</c> request_sent and response_received / failed.</summary>
internal sealed class ClientSecurityInterceptor(SecurityMonitor monitor, string peer) : ClientInterceptor
{
    public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
    {
        var traceId = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.TraceId : ActivityTraceId.CreateRandom();
        var spanId = ActivitySpanId.CreateRandom();
        // The hex forms are made once per call and shared by the header and both of the call's events.
        var state = new CallState(traceId.ToHexString(), spanId.ToHexString(), Stopwatch.GetTimestamp());
        context.RequestHeaders.Add(Trace.Header, Trace.Format(state.TraceId, state.SpanId));
        context.SetState(this, state);
        Trace.Post(monitor, monitor.Events.RpcRequestSent(context.Method, peer, state.TraceId, state.SpanId));
        return ValueTask.CompletedTask;
    }

    public override void OnCallCompleted(ClientCallContext context, Status status)
    {
        if (context.GetState(this) is not CallState state)
        {
            return;
        }
        var elapsed = Trace.Elapsed(state.Start);
        var e = status.StatusCode == StatusCode.OK
            ? monitor.Events.RpcResponseReceived(context.Method, peer, elapsed, state.TraceId, state.SpanId)
            : monitor.Events.RpcFailed(context.Method, peer, (int)status.StatusCode, status.StatusCode.ToString(), elapsed, "client")
                .WithTrace(state.TraceId, state.SpanId);
        Trace.Post(monitor, e);
    }

    private sealed record CallState(string TraceId, string SpanId, long Start);
}
