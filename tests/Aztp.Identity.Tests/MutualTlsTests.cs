using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Tests;

/// <summary>The SVIDs the dev CA issues work for real mutual TLS, with peers checked by the SVID validator.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly DevCertificateAuthority _ca = DevCertificateAuthority.Create(TrustDomain.Parse("example.org"));
    private readonly TrustBundleSet _bundles;

    public MutualTlsTests()
    {
        _bundles = new TrustBundleSet(_ca.ToBundle());
    }

    public void Dispose() => _ca.Dispose();

    private async Task<(SpiffeId? ServerSawClient, SpiffeId? ClientSawServer, bool Completed)> Handshake(X509Svid serverSvid, X509Svid clientSvid, SpiffeAuthorizer clientAllows)
    {
        var validator = new X509SvidValidator(_bundles);
        SpiffeId? serverSaw = null, clientSaw = null;
        var completed = false;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        bool Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, SpiffeAuthorizer authorizer, out SpiffeId? id)
        {
            id = null;
            if (certificate is not X509Certificate2 leaf)
            {
                return false;
            }
            // Only what the peer sent counts; the platform's own verdict (errors) is ignored in favour of the SPIFFE bundle.
            var presented = chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList() ?? [];
            var result = validator.Validate(leaf, presented);
            id = result.SpiffeId;
            return result.IsValid && authorizer.Authorize(result.SpiffeId);
        }

        var serverTask = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = serverSvid.Certificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, chain, errors) => Check(cert, chain, errors, SpiffeAuthorizer.MemberOf(TrustDomain.Parse("example.org")), out serverSaw),
            });
            await tls.WriteAsync(new byte[] { 42 });
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var clientTls = new SslStream(client.GetStream());
        try
        {
            await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [clientSvid.Certificate],
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, chain, errors) => Check(cert, chain, errors, clientAllows, out clientSaw),
            });
            var buffer = new byte[1];
            await clientTls.ReadExactlyAsync(buffer);
            completed = buffer[0] == 42;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // A refused peer ends the handshake; the caller inspects what each side saw.
        }
        try
        {
            await serverTask.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }
        return (serverSaw, clientSaw, completed);
    }

    [Fact]
    public async Task MutualTls_WithDevSvids_BothSidesSeeTheOthersSpiffeId()
    {
        using var server = _ca.IssueSvid(SpiffeId.Parse("spiffe://example.org/finance"));
        using var client = _ca.IssueSvid(SpiffeId.Parse("spiffe://example.org/billing"), rsa: true);
        var (serverSaw, clientSaw, completed) = await Handshake(server, client, SpiffeAuthorizer.Id("spiffe://example.org/finance"));
        Assert.True(completed);
        Assert.Equal("spiffe://example.org/billing", serverSaw?.ToString());
        Assert.Equal("spiffe://example.org/finance", clientSaw?.ToString());
    }

    [Fact]
    public async Task MutualTls_ServerWithAnUnexpectedId_IsRefusedByTheAuthorizer()
    {
        using var server = _ca.IssueSvid(SpiffeId.Parse("spiffe://example.org/impostor"));
        using var client = _ca.IssueSvid(SpiffeId.Parse("spiffe://example.org/billing"));
        var (_, clientSaw, completed) = await Handshake(server, client, SpiffeAuthorizer.Id("spiffe://example.org/finance"));
        Assert.Equal("spiffe://example.org/impostor", clientSaw?.ToString());
        Assert.False(completed);
    }

    [Fact]
    public async Task MutualTls_ServerFromAnotherCa_IsRefusedByTheClient()
    {
        using var rogueCa = DevCertificateAuthority.Create(TrustDomain.Parse("example.org"));
        using var server = rogueCa.IssueSvid(SpiffeId.Parse("spiffe://example.org/finance"));
        using var client = _ca.IssueSvid(SpiffeId.Parse("spiffe://example.org/billing"));
        var (_, clientSaw, completed) = await Handshake(server, client, SpiffeAuthorizer.Any());
        Assert.Equal("spiffe://example.org/finance", clientSaw?.ToString()); // claimed, but not trusted
        Assert.False(completed);
    }
}
