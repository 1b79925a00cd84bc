using System.Diagnostics;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

public sealed class ResilienceTests
{
    private static readonly SpiffeAuthorizer Finance = SpiffeAuthorizer.Id("spiffe://company.org/finance");

    [Fact]
    public async Task RotationMidTraffic_ReissuesEverySvid_WithZeroFailedCalls()
    {
        await using var world = new TestWorld();
        var (finance, _, address) = await world.ServeFinanceAsync();
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var oldFinanceSerial = finance.SvidExpiresAt;
        var channel = caller.CreateChannel(address.ToString(), Finance);

        var failures = 0;
        var calls = 0;
        using var stop = new CancellationTokenSource();
        async Task CallLoopAsync()
        {
            // 4 loops × one call per 40 ms ≈ 100 calls/s.
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 });
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }
                await Task.Delay(40);
            }
        }
        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(CallLoopAsync)).ToArray();

        await WaitForCallsAsync(() => Volatile.Read(ref calls), 50);
        var financeBefore = finance.SpiffeId;
        var serials = new[] { KeyDirectory.IssueSvid(world.KeyDir, "finance", TimeSpan.FromHours(2)), KeyDirectory.IssueSvid(world.KeyDir, "caller", TimeSpan.FromHours(2)) };
        Assert.True(await finance.ReloadIdentityAsync());
        Assert.True(await caller.ReloadIdentityAsync());
        var afterRotation = Volatile.Read(ref calls);

        // A fresh connection after rotation must complete its handshake with the new SVIDs on both sides.
        var fresh = caller.CreateChannel(address.ToString(), Finance);
        Assert.Equal(1, (await fresh.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 })).Tax);

        await WaitForCallsAsync(() => Volatile.Read(ref calls), afterRotation + 100);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        Assert.Equal(0, failures);
        Assert.Equal(financeBefore, finance.SpiffeId);
        Assert.Equal(serials[0].NotAfter, finance.SvidExpiresAt);
        Assert.NotEqual(oldFinanceSerial, finance.SvidExpiresAt);
        Assert.Equal(serials[1].NotAfter, caller.SvidExpiresAt);
    }

    [Fact]
    public async Task ThrowingOnEventHandler_ChangesNoCallOutcome()
    {
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync(o => o.Monitoring.OnEvent = (_, _) => throw new InvalidOperationException("handler bug"));
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"), configure: o => o.Monitoring.OnEvent = (_, _) => throw new InvalidOperationException("handler bug"));
        var (intruder, _) = await world.ConnectAsync(new AgentDefinition("intruder"));

        await AssertOutcomesAsync(world, address, caller, intruder);
    }

    [Fact]
    public async Task HangingOnEventHandler_ChangesNoCallOutcome()
    {
        static void Hang(AztpOptions o)
        {
            o.Monitoring.OnEvent = async (_, ct) => await Task.Delay(Timeout.Infinite, ct);
            o.Monitoring.HandlerTimeout = TimeSpan.FromMilliseconds(100);
            o.Monitoring.ShutdownTimeout = TimeSpan.FromSeconds(1);
        }
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync(Hang);
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"), configure: Hang);
        var (intruder, _) = await world.ConnectAsync(new AgentDefinition("intruder"), configure: Hang);

        var watch = Stopwatch.StartNew();
        await AssertOutcomesAsync(world, address, caller, intruder);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"calls took {watch.Elapsed} behind a hanging handler");
    }

    private static async Task AssertOutcomesAsync(TestWorld world, Uri address, SecuredAgent caller, SecuredAgent intruder)
    {
        var allowed = caller.CreateChannel(address.ToString(), Finance);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(2, (await allowed.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 10 })).Tax);
        }
        var denied = intruder.CreateChannel(address.ToString(), Finance);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await denied.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 10 }));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(5, world.Finance.Calls);
    }

    private static async Task WaitForCallsAsync(Func<int> calls, int target)
    {
        var deadline = Stopwatch.StartNew();
        while (calls() < target)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"only {calls()} of {target} calls completed in 30 s");
            await Task.Delay(20);
        }
    }
}
