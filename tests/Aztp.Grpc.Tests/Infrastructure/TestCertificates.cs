using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Grpc.Tests.Infrastructure;

/// <summary>A throwaway CA with a server and a client certificate, as objects and as PEM files in a temp directory.</summary>
public sealed class TestCertificates
{
    public const string ServerName = "foo.test.google.fr";

    private static readonly Lazy<TestCertificates> SharedInstance = new(() => new TestCertificates());

    private TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("aztp-grpc-certs-").FullName;
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Aztp Grpc Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        Server = Issue("CN=" + ServerName, serverAuth: true, now, [ServerName, "localhost"], [IPAddress.Loopback], out var serverKey);
        Client = Issue("CN=aztp-grpc-test-client", serverAuth: false, now, [], [], out var clientKey);
        OtherCa = CreateUnrelatedCa(now);

        CaPath = Write("ca.pem", Ca.ExportCertificatePem());
        ServerCertPath = Write("server.pem", Server.ExportCertificatePem());
        ServerKeyPath = Write("server.key", serverKey);
        ClientCertPath = Write("client.pem", Client.ExportCertificatePem());
        ClientKeyPath = Write("client.key", clientKey);
    }

    public static TestCertificates Shared => SharedInstance.Value;

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public string CaPath { get; }

    public string ServerCertPath { get; }

    public string ServerKeyPath { get; }

    public string ClientCertPath { get; }

    public string ClientKeyPath { get; }

    private X509Certificate2 Issue(string subject, bool serverAuth, DateTimeOffset now, string[] dnsNames, IPAddress[] ips, out string keyPem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (dnsNames.Length + ips.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            foreach (var ip in ips)
            {
                san.AddIpAddress(ip);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Ca, now.AddDays(-1), now.AddDays(1), serial);
        keyPem = key.ExportPkcs8PrivateKeyPem();
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateUnrelatedCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Unrelated CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
