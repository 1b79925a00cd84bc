using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

public sealed class HandshakeTests
{
    public static TheoryData<string> BadClients => ["expired-svid", "no-certificate", "not-an-svid"];

    [Theory]
    [MemberData(nameof(BadClients))]
    public async Task Server_RejectsClientsWithoutAValidSvid_AtTheHandshake(string kind)
    {
        await using var world = new TestWorld(TestWorld.DefaultPolicy.Replace("principal == Agent::\"spiffe://company.org/caller\"", "principal",
            StringComparison.Ordinal));
        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        using var certificate = kind switch
        {
            "expired-svid" => ExpiredSvid(world),
            "not-an-svid" => CaSignedWithoutSpiffeId(world),
            _ => null,
        };

        var options = new GrpcChannelOptions
        {
            ClientCertificateSelector = _ => certificate,
            ServerCertificateValidation = (_, _, _) => true, // this test is about the server's check, not the client's
        };
        await using var channel = GrpcChannel.ForAddress(address, options);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1 }));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(0, world.Finance.Calls);
        await finance.Monitor.FlushAsync();
        if (certificate is not null)
        {
            var failed = Assert.Single(serverEvents, e => e.Type == SecurityEventType.Identity && e.Data.GetString("action") == EventActions.Failed);
            Assert.Equal(kind == "expired-svid" ? "expired" : "no_uri_san", failed.Data.GetString("reason"));
        }
        Assert.DoesNotContain(serverEvents, e => e.Type == SecurityEventType.Rpc);
    }

    [Fact]
    public async Task Client_RefusesAServerWithAnUnexpectedSpiffeId()
    {
        await using var world = new TestWorld();
        var (_, _, address) = await world.ServeFinanceAsync();
        var (caller, clientEvents) = await world.ConnectAsync(new AgentDefinition("caller"));

        var channel = caller.CreateChannel(address.ToString(), SpiffeAuthorizer.Id("spiffe://company.org/payroll"));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1 }));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(0, world.Finance.Calls);
        await caller.Monitor.FlushAsync();
        var failed = Assert.Single(clientEvents, e => e.Type == SecurityEventType.Identity && e.Data.GetString("action") == EventActions.Failed);
        Assert.Equal("spiffe://company.org/finance", failed.Data.GetString("spiffeId"));
        Assert.Contains(clientEvents, e => e.Type == SecurityEventType.Rpc && e.Data.GetString("action") == EventActions.RpcFailed);
    }

    [Fact]
    public async Task CallerFromAnotherTrustDomain_IsRejectedAtTheHandshake_ThenAcceptedOnceFederated()
    {
        await using var world = new TestWorld(TestWorld.DefaultPolicy + """

            permit(principal == Agent::"spiffe://partner.net/partner", action == Action::"calculate-tax", resource);
            """);
        var partnerKeys = Path.Combine(world.Root, "partner-keys");
        KeyDirectory.Initialize(partnerKeys, TrustDomain.Parse("partner.net"), ["partner"]);
        // The partner already trusts company.org; company.org does not yet trust partner.net.
        Directory.CreateDirectory(Path.Combine(partnerKeys, KeyDirectory.FederationFolder));
        File.Copy(Path.Combine(world.KeyDir, KeyDirectory.BundleFile), Path.Combine(partnerKeys, KeyDirectory.FederationFolder, "company.org.pem"));

        var (finance, serverEvents, address) = await world.ServeFinanceAsync();
        var (partner, _) = await world.ConnectAsync(new AgentDefinition("partner"), partnerKeys, "partner.net");
        var channel = partner.CreateChannel(address.ToString(), SpiffeAuthorizer.MemberOf(TrustDomain.Parse("company.org")));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 10 }));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        await finance.Monitor.FlushAsync();
        Assert.Contains(serverEvents, e => e.Type == SecurityEventType.Identity && e.Data.GetString("action") == EventActions.Failed);

        Directory.CreateDirectory(Path.Combine(world.KeyDir, KeyDirectory.FederationFolder));
        File.Copy(Path.Combine(partnerKeys, KeyDirectory.BundleFile), Path.Combine(world.KeyDir, KeyDirectory.FederationFolder, "partner.net.pem"));
        Assert.True(await finance.ReloadIdentityAsync());

        var reply = await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 10 });
        Assert.Equal(2, reply.Tax);
        Assert.Equal(1, world.Finance.Calls);
    }

    private static X509Certificate2 ExpiredSvid(TestWorld world)
    {
        using var ca = DevCertificateAuthority.FromPem(File.ReadAllText(Path.Combine(world.KeyDir, KeyDirectory.BundleFile)),
            File.ReadAllText(Path.Combine(world.KeyDir, KeyDirectory.CaKeyFile)), new FixedTime(DateTimeOffset.UtcNow.AddDays(-2)));
        using var svid = ca.IssueSvid(SpiffeId.Parse("spiffe://company.org/caller"), TimeSpan.FromHours(1));
        return X509Certificate2.CreateFromPem(svid.ExportCertificatesPem(), svid.ExportPrivateKeyPem());
    }

    private static X509Certificate2 CaSignedWithoutSpiffeId(TestWorld world)
    {
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(world.KeyDir, KeyDirectory.BundleFile), Path.Combine(world.KeyDir, KeyDirectory.CaKeyFile));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=caller", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3, 4]);
        return issued.CopyWithPrivateKey(key);
    }
}
