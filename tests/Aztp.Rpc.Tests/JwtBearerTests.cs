using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

public sealed class JwtBearerTests
{
    private static readonly SpiffeAuthorizer Finance = SpiffeAuthorizer.Id("spiffe://company.org/finance");

    [Fact]
    public async Task BearerJwtSvid_RelayedByAProxy_MakesItsSubjectThePrincipal()
    {
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync(o => o.Spiffe.AcceptJwtSvid = true);
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var (proxy, _) = await world.ConnectAsync(new AgentDefinition("intruder")); // a TLS peer that policy alone would deny
        var channel = proxy.CreateChannel(address.ToString(), Finance);

        var token = await caller.FetchJwtSvidAsync("spiffe://company.org/finance");
        var headers = new Metadata().Add("authorization", "Bearer " + token.Token);
        var reply = await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 100 }, new CallOptions(headers));
        Assert.Equal(20, reply.Tax);

        var forged = new Metadata().Add("authorization", "Bearer " + token.Token[..^4] + "AAAA");
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 100 }, new CallOptions(forged)));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);

        var wrongAudience = await caller.FetchJwtSvidAsync("spiffe://company.org/payroll");
        ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 100 },
            new CallOptions(new Metadata().Add("authorization", "Bearer " + wrongAudience.Token))));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(1, world.Finance.Calls);
    }

    [Fact]
    public async Task BearerJwtSvid_IsIgnored_WhenNotEnabled()
    {
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync();
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        var (proxy, _) = await world.ConnectAsync(new AgentDefinition("intruder"));
        var token = await caller.FetchJwtSvidAsync("spiffe://company.org/finance");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await proxy.CreateChannel(address.ToString(), Finance)
            .AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 100 }, new CallOptions(new Metadata().Add("authorization", "Bearer " + token.Token))));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, world.Finance.Calls);
    }
}
