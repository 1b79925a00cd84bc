using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

public sealed class PolicyTests
{
    private static readonly SpiffeAuthorizer Finance = SpiffeAuthorizer.Id("spiffe://company.org/finance");

    [Fact]
    public async Task PolicyReload_ChangesDecisionsForNewCalls()
    {
        await using var world = new TestWorld();
        var (finance, _, address) = await world.ServeFinanceAsync();
        var (intruder, _) = await world.ConnectAsync(new AgentDefinition("intruder"));
        var channel = intruder.CreateChannel(address.ToString(), Finance);

        var before = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 }));
        Assert.Equal(StatusCode.PermissionDenied, before.StatusCode);

        world.WritePolicy(TestWorld.DefaultPolicy + """

            permit(principal == Agent::"spiffe://company.org/intruder", action == Action::"calculate-tax", resource);
            """);
        Assert.Equal(Aztp.Policy.PolicyReloadResult.Loaded, await finance.ReloadPoliciesAsync());

        Assert.Equal(1, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 })).Tax);
        Assert.Equal(1, world.Finance.Calls);
    }

    [Fact]
    public async Task PolicyChangesOnDisk_AreFoundByPolling_WhenAskedFor()
    {
        await using var world = new TestWorld();
        var (_, events, address) = await world.ServeFinanceAsync(o =>
        {
            o.Policy.WatchForChanges = true;
            o.Policy.UsePolling = true;
        });
        var (intruder, _) = await world.ConnectAsync(new AgentDefinition("intruder"));
        var channel = intruder.CreateChannel(address.ToString(), Finance);
        var before = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 }));
        Assert.Equal(StatusCode.PermissionDenied, before.StatusCode);
        var loadedBefore = events.Count(e => e.Data.Action == EventActions.Loaded);

        world.WritePolicy(TestWorld.DefaultPolicy + """

            permit(principal == Agent::"spiffe://company.org/intruder", action == Action::"calculate-tax", resource);
            """);
        // The default poll interval is 2 s; the reload announces itself with policy/loaded.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (events.Count(e => e.Data.Action == EventActions.Loaded) == loadedBefore)
        {
            await Task.Delay(50, guard.Token);
        }
        Assert.Equal(1, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 })).Tax);
        Assert.DoesNotContain(events, e => e.Data.Action == DirectoryChangeWatcher.WatchDegradedAction);
    }

    public static TheoryData<long, bool> Amounts => new() { { 9_999, true }, { 10_000, false }, { 250_000, false } };

    [Theory]
    [MemberData(nameof(Amounts))]
    public async Task AbacRuleOnAmount_IsEnforced(long amount, bool allowed)
    {
        await using var world = new TestWorld("""
            @id("small-amounts")
            @reason("callers may calculate tax below 10000")
            permit(principal == Agent::"spiffe://company.org/caller", action == Action::"calculate-tax", resource)
            when { context.amount < 10000 && context.trustDomain == "company.org" };
            """);
        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var channel = caller.CreateChannel(address.ToString(), Finance);

        var call = channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = amount });
        if (allowed)
        {
            Assert.Equal(amount / 5, (await call).Tax);
        }
        else
        {
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await call)).StatusCode);
        }
        Assert.Equal(allowed ? 1 : 0, world.Finance.Calls);
        await finance.Monitor.FlushAsync();
        Assert.Equal(allowed, SecureCallTests.Single(serverEvents, SecurityEventType.Policy, EventActions.Evaluated).Data.GetBoolean("allowed"));
    }

    [Fact]
    public async Task MethodWithoutAPermit_IsDenied_ByDefault()
    {
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync();
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var channel = caller.CreateChannel(address.ToString(), Finance);

        // Audit's default action is "audit", which no policy permits.
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.Audit, new TaxRequest { Amount = 1 }));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, world.Finance.Calls);
    }

    [Fact]
    public async Task PolicyEngineError_DeniesTheCall()
    {
        var engine = new Moq.Mock<Aztp.Policy.IPolicyEngine>();
        engine.Setup(e => e.AuthorizeAsync(Moq.It.IsAny<Aztp.Policy.AuthorizationRequest>(), Moq.It.IsAny<CancellationToken>()))
            .Throws(new InvalidOperationException("engine down"));
        await using var world = new TestWorld();
        var (finance, serverEvents, address) = await world.ServeFinanceAsync(o => o.Policy.Engine = engine.Object);
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var channel = caller.CreateChannel(address.ToString(), Finance);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1 }));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, world.Finance.Calls);
        await finance.Monitor.FlushAsync();
        Assert.Equal(false, SecureCallTests.Single(serverEvents, SecurityEventType.Policy, EventActions.Evaluated).Data.GetBoolean("allowed"));
    }
}
