using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Tests;

/// <summary>A manual clock for validity tests.</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Builds arbitrary certificates at test time, including deliberately broken SVIDs.</summary>
public static class TestPki
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public sealed record Spec
    {
        public string Cn { get; init; } = "test";
        public bool Ca { get; init; }
        public bool IncludeBasicConstraints { get; init; } = true;
        public X509KeyUsageFlags? KeyUsage { get; init; }
        public bool KeyUsageCritical { get; init; } = true;
        public string[] Uris { get; init; } = [];
        public string[]? Eku { get; init; } = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];
        public DateTimeOffset NotBefore { get; init; } = Now.AddDays(-1);
        public DateTimeOffset NotAfter { get; init; } = Now.AddDays(1);
        public int RsaBits { get; init; }
    }

    public static X509Certificate2 Root(string trustDomain, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        Issue(null, new Spec
        {
            Cn = "root " + trustDomain,
            Ca = true,
            KeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign,
            Uris = ["spiffe://" + trustDomain],
            Eku = null,
            NotBefore = notBefore ?? Now.AddDays(-30),
            NotAfter = notAfter ?? Now.AddDays(365),
        });

    public static X509Certificate2 Intermediate(X509Certificate2 issuer, string trustDomain, Spec? spec = null) =>
        Issue(issuer, spec ?? new Spec
        {
            Cn = "intermediate " + trustDomain,
            Ca = true,
            KeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign,
            Uris = ["spiffe://" + trustDomain],
            Eku = null,
            NotBefore = Now.AddDays(-10),
            NotAfter = Now.AddDays(100),
        });

    public static Spec LeafSpec(string id) => new()
    {
        Cn = id,
        KeyUsage = X509KeyUsageFlags.DigitalSignature,
        Uris = [id],
    };

    public static X509Certificate2 Leaf(X509Certificate2 issuer, string id) => Issue(issuer, LeafSpec(id));

    /// <summary>Issues a certificate; self-signed when <paramref name="issuer"/> is null. The result has its private key.</summary>
    public static X509Certificate2 Issue(X509Certificate2? issuer, Spec spec)
    {
        using AsymmetricAlgorithm key = spec.RsaBits > 0 ? RSA.Create(spec.RsaBits) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedName("CN=" + spec.Cn.Replace(",", "_", StringComparison.Ordinal).Replace("=", "_", StringComparison.Ordinal));
        var request = key is RSA rsa
            ? new CertificateRequest(name, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(name, (ECDsa)key, HashAlgorithmName.SHA256);
        if (spec.IncludeBasicConstraints)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.Ca, false, 0, true));
        }
        if (spec.KeyUsage is { } usage)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, spec.KeyUsageCritical));
        }
        if (spec.Eku is { } eku)
        {
            var oids = new OidCollection();
            foreach (var oid in eku)
            {
                oids.Add(new Oid(oid));
            }
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }
        if (spec.Uris.Length > 0)
        {
            request.CertificateExtensions.Add(Internal.UriSanExtension.Create(true, spec.Uris));
        }
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(spec.NotBefore, spec.NotAfter);
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var notAfter = spec.NotAfter > issuer.NotAfter ? new DateTimeOffset(issuer.NotAfter.ToUniversalTime()) : spec.NotAfter;
        // The generator overload skips the BCL's issuer checks so broken signers can be built on purpose.
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), spec.NotBefore, notAfter, serial);
        return key is RSA r ? issued.CopyWithPrivateKey(r) : issued.CopyWithPrivateKey((ECDsa)key);
    }

    public static TrustBundle Bundle(string trustDomain, params X509Certificate2[] roots) =>
        new(TrustDomain.Parse(trustDomain), roots.Select(r => X509CertificateLoader.LoadCertificate(r.RawData)));
}
