using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

public sealed class SecureCallTests
{
    private static readonly SpiffeAuthorizer Finance = SpiffeAuthorizer.Id("spiffe://company.org/finance");

    [Fact]
    public async Task AllowedCall_Succeeds_WithIdentityPolicyAndRpcEventsOnBothSidesSharingOneTraceId()
    {
        await using var world = new TestWorld();
        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        var (caller, clientEvents) = await world.ConnectAsync(new AgentDefinition("caller"));

        var channel = caller.CreateChannel(address.ToString(), Finance);
        var reply = await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 });

        Assert.Equal(200, reply.Tax);
        Assert.Equal(1, world.Finance.Calls);
        await finance.Monitor.FlushAsync();
        await caller.Monitor.FlushAsync();

        var sent = Single(clientEvents, SecurityEventType.Rpc, EventActions.RequestSent);
        var traceId = sent.TraceId;
        Assert.False(string.IsNullOrEmpty(traceId));
        Assert.Equal(traceId, Single(clientEvents, SecurityEventType.Rpc, EventActions.ResponseReceived).TraceId);
        Assert.Contains(clientEvents, e => e.Type == SecurityEventType.Identity && e.Data.GetString("action") == EventActions.Verified
            && e.Data.GetString("spiffeId") == "spiffe://company.org/finance");

        var identity = Single(serverEvents, SecurityEventType.Identity, EventActions.Verified);
        Assert.Equal("spiffe://company.org/caller", identity.Data.GetString("spiffeId"));
        Assert.Equal(traceId, identity.TraceId);
        var policy = Single(serverEvents, SecurityEventType.Policy, EventActions.Evaluated);
        Assert.True(policy.Data.GetBoolean("allowed") == true);
        Assert.Equal("callers may calculate tax", policy.Data.GetString("reason"));
        Assert.Equal(traceId, policy.TraceId);
        var received = Single(serverEvents, SecurityEventType.Rpc, EventActions.RequestReceived);
        Assert.Equal("calculate-tax", received.Data.GetString("method"));
        Assert.True(received.Data.GetBoolean("success") == true);
        Assert.Equal(traceId, received.TraceId);
        Assert.Equal(traceId, Single(serverEvents, SecurityEventType.Rpc, EventActions.ResponseSent).TraceId);
        // The handler runs inside the call's trace, so its own events carry the same trace id.
        Assert.Equal(traceId, world.Finance.LastTraceId);
        Single(serverEvents, SecurityEventType.Identity, EventActions.SetupComplete);
    }

    [Fact]
    public async Task DeniedCaller_GetsPermissionDenied_AndTheHandlerNeverRuns()
    {
        await using var world = new TestWorld();
        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        var (intruder, _) = await world.ConnectAsync(new AgentDefinition("intruder"));

        var channel = intruder.CreateChannel(address.ToString(), Finance);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1 }));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("permission denied", ex.Status.Detail);
        Assert.Equal(0, world.Finance.Calls);
        await finance.Monitor.FlushAsync();
        Assert.True(Single(serverEvents, SecurityEventType.Policy, EventActions.Evaluated).Data.GetBoolean("allowed") == false);
        Assert.Equal("spiffe://company.org/intruder",
            Single(serverEvents, SecurityEventType.Rpc, EventActions.Denied).Data.GetString("peer"));
    }

    internal static SecurityEvent Single(IEnumerable<SecurityEvent> events, SecurityEventType type, string action) =>
        Assert.Single(events, e => e.Type == type && e.Data.GetString("action") == action);
}
