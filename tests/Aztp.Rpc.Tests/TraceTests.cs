using System.Collections.Concurrent;
using System.Diagnostics;
using Aztp.Core;
using Aztp.Rpc.Tests.Protos;
using Trace = Aztp.Rpc.Internal.Trace;

namespace Aztp.Rpc.Tests;

/// <summary>Tests that register (or must run without) an <see cref="ActivityListener"/>: run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}

[Collection(TracingCollection.Name)]
public sealed class TraceTests
{
    private const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    public static TheoryData<string?> TraceParents => new()
    {
        Parent,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
        "garbage",
        null,
    };

    [Theory]
    [MemberData(nameof(TraceParents))]
    public void StartServer_WithoutAListener_CarriesTheCallInAnEventTrace_NotAnActivity(string? traceparent)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        EventTrace.Current = null;
        try
        {
            var activity = Trace.StartServer(traceparent, out var traceId);

            Assert.Null(activity);
            Assert.Null(Activity.Current);
            var trace = Assert.IsType<EventTrace>(EventTrace.Current);
            Assert.Equal(trace.TraceId, traceId);
            if (traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent))
            {
                Assert.Equal(parent.TraceId.ToHexString(), traceId);
            }
            else
            {
                Assert.DoesNotContain(traceId, traceparent ?? string.Empty, StringComparison.Ordinal);
            }
        }
        finally
        {
            EventTrace.Current = null;
            Activity.Current = previous;
        }
    }

    [Theory]
    [MemberData(nameof(TraceParents))]
    public void StartServer_WithASamplingListener_StartsTheActivityContinuingTheW3CTrace(string? traceparent)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        EventTrace.Current = EventTrace.NewTrace(); // an outer flow's position must not shadow the call's span
        using var listener = Listen();
        try
        {
            using var activity = Trace.StartServer(traceparent, out var traceId);

            Assert.NotNull(activity);
            Assert.Same(activity, Activity.Current);
            Assert.Null(EventTrace.Current);
            Assert.Equal(ActivityIdFormat.W3C, activity.IdFormat);
            Assert.Equal(ActivityKind.Server, activity.Kind);
            Assert.Equal(activity.TraceId.ToHexString(), traceId);
            if (traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent))
            {
                Assert.Equal(parent.TraceId, activity.TraceId);
                Assert.Equal(parent.SpanId, activity.ParentSpanId);
            }
            else
            {
                Assert.Equal(default, activity.ParentSpanId);
                Assert.DoesNotContain(traceId, traceparent ?? string.Empty, StringComparison.Ordinal);
            }
        }
        finally
        {
            EventTrace.Current = null;
            Activity.Current = previous;
        }
    }

    [Fact]
    public void StartClient_ContinuesTheAmbientTrace_EventTraceFirst()
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            EventTrace.Current = null;
            var fresh = Trace.StartClient();
            Assert.NotEqual(fresh.TraceId, Trace.StartClient().TraceId);

            using var activity = new Activity("outer").SetIdFormat(ActivityIdFormat.W3C).Start();
            Assert.Equal(activity.TraceId.ToHexString(), Trace.StartClient().TraceId);

            // Inside a served call (no listener): the call's position, so a handler's outgoing calls stay in its trace.
            var call = EventTrace.ContinueOrStart(Parent);
            EventTrace.Current = call;
            var outgoing = Trace.StartClient();
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", outgoing.TraceId);
            Assert.NotEqual(call.SpanId, outgoing.SpanId);
        }
        finally
        {
            EventTrace.Current = null;
            Activity.Current = previous;
        }
    }

    [Fact]
    public async Task SecuredCall_WithATracingListener_RunsTheHandlerInAServerActivity_AndEventsShareItsTrace()
    {
        using var listener = Listen();
        await using var world = new TestWorld();
        var (serverEvents, clientEvents) = await OneAllowedCallAsync(world);

        var traceId = SecureCallTests.Single(clientEvents, SecurityEventType.Rpc, EventActions.RequestSent).TraceId;
        Assert.Equal(traceId, world.Finance.LastActivityTraceId);
        Assert.Equal(traceId, world.Finance.LastTraceId);
        var received = SecureCallTests.Single(serverEvents, SecurityEventType.Rpc, EventActions.RequestReceived);
        Assert.Equal(traceId, received.TraceId);
        Assert.Equal(world.Finance.LastActivitySpanId, received.SpanId);
        Assert.Equal(traceId, SecureCallTests.Single(serverEvents, SecurityEventType.Policy, EventActions.Evaluated).TraceId);
        Assert.Equal(traceId, SecureCallTests.Single(serverEvents, SecurityEventType.Rpc, EventActions.ResponseSent).TraceId);
    }

    [Fact]
    public async Task SecuredCall_WithoutAListener_HasNoServerActivity_AndTheHandlersOwnEventsShareTheCallsTrace()
    {
        await using var world = new TestWorld();
        var (serverEvents, clientEvents) = await OneAllowedCallAsync(world);

        var sent = SecureCallTests.Single(clientEvents, SecurityEventType.Rpc, EventActions.RequestSent);
        Assert.Null(world.Finance.LastActivityTraceId);
        Assert.Equal(sent.TraceId, world.Finance.LastTraceId);
        var received = SecureCallTests.Single(serverEvents, SecurityEventType.Rpc, EventActions.RequestReceived);
        Assert.Equal(sent.TraceId, received.TraceId);
        // The server's span is its own, not the caller's.
        Assert.NotEqual(sent.SpanId, received.SpanId);
        Assert.Equal(received.SpanId, SecureCallTests.Single(serverEvents, SecurityEventType.Rpc, EventActions.ResponseSent).SpanId);
    }

    // One allowed call from "caller" to finance; both monitors flushed. Returns each side's events.
    private static async Task<(ConcurrentQueue<SecurityEvent> Server, ConcurrentQueue<SecurityEvent> Client)> OneAllowedCallAsync(TestWorld world)
    {
        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        var (caller, clientEvents) = await world.ConnectAsync(new AgentDefinition("caller"));
        var channel = caller.CreateChannel(address.ToString(), Identity.SpiffeAuthorizer.Id("spiffe://company.org/finance"));
        await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 });
        await finance.Monitor.FlushAsync();
        await caller.Monitor.FlushAsync();
        return (serverEvents, clientEvents);
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Aztp.Rpc",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
