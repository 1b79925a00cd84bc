using Aztp.Core;
using Aztp.Grpc;

namespace Aztp.Rpc.Internal;

/// <summary>Client side of a secured call: W3C traceparent in metadata, <c>rpc</c> request_sent and response_received / failed.</summary>
internal sealed class ClientSecurityInterceptor(SecurityMonitor monitor, string peer) : ClientInterceptor
{
    public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
    {
        // One trace position per call, shared by the header and both of the call's events (and the call's state: the
        // duration is measured from the context's own start time); its ids are formatted as text only for the header
        // (written straight into one string) and when a handler reads an event's trace.
        var trace = Trace.StartClient();
        context.RequestHeaders.Add(Trace.Header, trace.ToTraceparent());
        context.SetState(this, trace);
        Trace.Post(monitor, monitor.Events.RpcRequestSent(context.Method, peer, trace));
        return ValueTask.CompletedTask;
    }

    public override void OnCallCompleted(ClientCallContext context, Status status)
    {
        if (context.GetState(this) is not EventTrace trace)
        {
            return;
        }
        var elapsed = Trace.Elapsed(context.StartTimestamp);
        var e = status.StatusCode == StatusCode.OK
            ? monitor.Events.RpcResponseReceived(context.Method, peer, elapsed, trace)
            : monitor.Events.RpcFailed(context.Method, peer, (int)status.StatusCode, status.StatusCode.ToString(), elapsed, "client")
                .WithTrace(trace);
        Trace.Post(monitor, e);
    }
}
