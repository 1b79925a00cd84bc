using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aztp.Rpc.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task AddAztp_StartsAndServesWithTheHost_AndStopsWithIt()
    {
        await using var world = new TestWorld();
        var services = new ServiceCollection();
        services.AddAztp(world.FinanceAgent(), o =>
        {
            o.Spiffe = new() { TrustDomain = "company.org", KeyDir = world.KeyDir, CreateIfMissing = false, WatchForChanges = false };
            o.Policy = new() { PolicyDir = world.PolicyDir, WatchForChanges = false };
            o.Monitoring.ConsoleLogging = false;
        }, "https://127.0.0.1:0");
        await using var provider = services.BuildServiceProvider();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        var aztp = provider.GetRequiredService<AztpHostedService>();
        Assert.Same(aztp, hosted);
        Assert.Throws<InvalidOperationException>(() => aztp.Agent);

        await hosted.StartAsync(CancellationToken.None);
        var address = aztp.Agent.ServerAddress!;
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var reply = await caller.CreateChannel(address.ToString(), SpiffeAuthorizer.Id("spiffe://company.org/finance"))
            .AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 50 });
        Assert.Equal(10, reply.Tax);

        await hosted.StopAsync(CancellationToken.None);
        Assert.Throws<InvalidOperationException>(() => aztp.Agent);
    }

    [Fact]
    public void AddAztp_WithoutTrustDomain_FailsAtRegistration_NamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddAztp(new AgentDefinition("finance"), _ => { }));
        Assert.Contains("SpiffeOptions.TrustDomain", ex.Message, StringComparison.Ordinal);
    }
}
