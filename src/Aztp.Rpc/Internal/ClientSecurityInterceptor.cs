using System.Diagnostics;
using Aztp.Core;
using Aztp.Grpc;

namespace Aztp.Rpc.Internal;

/// <summary>Client side of a secured call: W3C traceparent in metadata, <c>rpc</c> request_sent and response_received / failed.</summary>
internal sealed class ClientSecurityInterceptor(SecurityMonitor monitor, string peer) : ClientInterceptor
{
    public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
    {
        // One trace position per call, shared by the header and both of the call's events; its ids are formatted as
        // text only for the header (written straight into one string) and when a handler reads an event's trace.
        var state = new CallState(Trace.StartClient(), Stopwatch.GetTimestamp());
        context.RequestHeaders.Add(Trace.Header, state.Trace.ToTraceparent());
        context.SetState(this, state);
        Trace.Post(monitor, monitor.Events.RpcRequestSent(context.Method, peer, state.Trace));
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
            ? monitor.Events.RpcResponseReceived(context.Method, peer, elapsed, state.Trace)
            : monitor.Events.RpcFailed(context.Method, peer, (int)status.StatusCode, status.StatusCode.ToString(), elapsed, "client")
                .WithTrace(state.Trace);
        Trace.Post(monitor, e);
    }

    private sealed record CallState(EventTrace Trace, long Start);
}
