using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aztp.Core;
using Aztp.Identity;
using Aztp.Identity.Tests.WorkloadApi;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

/// <summary>SecureConnect with identities from the SPIFFE Workload API (a Python grpcio server standing in for SPIRE).</summary>
public sealed class WorkloadApiIdentityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TrustDomain Td = TrustDomain.Parse(TestWorld.TrustDomain);

    private static JsonObject State(DevCertificateAuthority ca) =>
        WorkloadState.Of(WorkloadState.Entry(ca.IssueSvid(Td.Id("finance")), ca.ToBundle()), WorkloadState.Entry(ca.IssueSvid(Td.Id("caller")), ca.ToBundle()));

    [WorkloadFact]
    public async Task WorkloadApiSocket_SuppliesEachAgentsSvid_AndRotationReachesTheNextHandshakes()
    {
        using var ca = DevCertificateAuthority.Create(Td);
        await using var server = await WorkloadApiServer.StartAsync(State(ca));
        await using var world = new TestWorld();
        void UseWorkloadApi(AztpOptions o) => o.Spiffe.WorkloadApiSocket = server.Address;

        var (finance, financeEvents, address) = await world.ServeFinanceAsync(UseWorkloadApi);
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"), configure: UseWorkloadApi);
        Assert.Equal("spiffe://company.org/finance", finance.SpiffeId.ToString());
        Assert.Equal("spiffe://company.org/caller", caller.SpiffeId.ToString());
        Assert.Contains(financeEvents, e => e.Data.Action == EventActions.SetupComplete && e.Data["source"].AsString() == "workload_api");

        // The key directory's CA is not the Workload API's: a call works only because both SVIDs come from the Workload API.
        var channel = caller.CreateChannel(address.ToString(), SpiffeAuthorizer.Id("spiffe://company.org/finance"));
        Assert.Equal(200, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 })).Tax);

        // Rotation pushed by the Workload API: new SVIDs from a new CA, whose bundle replaces the old one.
        var before = finance.SvidExpiresAt;
        using var rotatedCa = DevCertificateAuthority.Create(Td);
        var rotated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        finance.Monitor.AddHandler("rotation-watch", (e, _) =>
        {
            if (e.Data.Action == EventActions.Rotated) { rotated.TrySetResult(); }
            return ValueTask.CompletedTask;
        });
        // Calls keep running on the existing connection while the rotation lands: none may fail.
        using var stopTraffic = new CancellationTokenSource();
        var failures = 0;
        var trafficCalls = 0;
        var traffic = Task.Run(async () =>
        {
            while (!stopTraffic.IsCancellationRequested)
            {
                try
                {
                    await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 5 });
                    Interlocked.Increment(ref trafficCalls);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
                await Task.Delay(10);
            }
        });
        server.WriteState(State(rotatedCa));
        await rotated.Task.WaitAsync(Wait);
        await WaitUntilAsync(() => caller.Bundles.TryGetBundle(Td, out var b) && b.X509Authorities.Any(c => c.Thumbprint == rotatedCa.Certificate.Thumbprint));

        // A new connection handshakes with the rotated SVIDs on both sides and is verified against the new bundle.
        var fresh = caller.CreateChannel(address.ToString(), SpiffeAuthorizer.Id("spiffe://company.org/finance"));
        Assert.Equal(400, (await fresh.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 2000 })).Tax);
        Assert.NotEqual(ca.Certificate.Thumbprint, rotatedCa.Certificate.Thumbprint);
        Assert.True(finance.SvidExpiresAt >= before.AddSeconds(-1));
        await stopTraffic.CancelAsync();
        await traffic;
        Assert.Equal(0, Volatile.Read(ref failures));
        Assert.True(trafficCalls > 0);
        Assert.Equal(2 + trafficCalls, world.Finance.Calls);
    }

    [WorkloadFact]
    public async Task WorkloadApiRestart_NoCallerSeesAnError_WhileTheSvidIsValid()
    {
        using var ca = DevCertificateAuthority.Create(Td);
        await using var server = await WorkloadApiServer.StartAsync(State(ca));
        await using var world = new TestWorld();
        void UseWorkloadApi(AztpOptions o) => o.Spiffe.WorkloadApiSocket = server.Address;
        var (finance, financeEvents, address) = await world.ServeFinanceAsync(UseWorkloadApi);
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"), configure: UseWorkloadApi);
        var authorizer = SpiffeAuthorizer.Id("spiffe://company.org/finance");

        await server.StopAsync();
        // The Workload API is down: existing and new connections still work with the last good SVIDs.
        Assert.Equal(200, (await caller.CreateChannel(address.ToString(), authorizer).AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 })).Tax);
        await server.RestartAsync();
        await WaitUntilAsync(() => financeEvents.Any(e => e.Data.Action == Aztp.Identity.WorkloadApi.WorkloadApiSource.SourceReconnectedAction));
        Assert.Equal(200, (await caller.CreateChannel(address.ToString(), authorizer).AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 })).Tax);
        Assert.Contains(financeEvents, e => e.Data.Action == Aztp.Identity.WorkloadApi.WorkloadApiSource.SourceDisconnectedAction);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
