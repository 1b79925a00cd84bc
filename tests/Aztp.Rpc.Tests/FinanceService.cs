using Aztp.Core;
using Aztp.Grpc;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

/// <summary>The handler object; counts invocations so tests can prove a denied call never reached it.</summary>
public sealed class FinanceService
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The trace id of an event the last CalculateTax handler made itself (the handler's own events).</summary>
    public string? LastTraceId { get; private set; }

    /// <summary>The trace id of <see cref="System.Diagnostics.Activity.Current"/> in the last CalculateTax handler.</summary>
    public string? LastActivityTraceId { get; private set; }

    /// <summary>The span id of <see cref="System.Diagnostics.Activity.Current"/> in the last CalculateTax handler.</summary>
    public string? LastActivitySpanId { get; private set; }

    public Task<TaxReply> CalculateTax(TaxRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastTraceId = SecurityEvent.Create(SecurityEventType.Rpc, "finance-handler", null, EventSeverity.Info, EventOutcome.Success,
            EventData.Empty).TraceId;
        LastActivityTraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString();
        LastActivitySpanId = System.Diagnostics.Activity.Current?.SpanId.ToHexString();
        return Task.FromResult(new TaxReply { Tax = request.Amount / 5 });
    }

    public Task<TaxReply> Audit(TaxRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new TaxReply { Tax = 0 });
    }
}
