using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity;

/// <summary>
/// A development certificate authority for one trust domain: an EC P-256 self-signed CA (basicConstraints CA,
/// keyCertSign + cRLSign, URI SAN <c>spiffe://td</c>) that issues X.509-SVIDs with the extensions the X509-SVID standard
/// requires (not a CA, digitalSignature — plus keyEncipherment for RSA — exactly one URI SAN, EKU serverAuth+clientAuth).
/// For development and tests; production identities come from SPIRE.
/// </summary>
public sealed class DevCertificateAuthority : IDisposable
{
    private readonly TimeProvider _time;

    private DevCertificateAuthority(TrustDomain trustDomain, X509Certificate2 certificate, TimeProvider time)
    {
        TrustDomain = trustDomain;
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The trust domain.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Creates a fresh CA.</summary>
    /// <param name="trustDomain">The trust domain.</param>
    /// <param name="lifetime">Validity; default 365 days.</param>
    /// <param name="timeProvider">Clock for validity; the system clock by default.</param>
    public static DevCertificateAuthority Create(TrustDomain trustDomain, TimeSpan? lifetime = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        var time = timeProvider ?? TimeProvider.System;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"O=Aztp dev CA, CN={trustDomain.Name}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(Internal.UriSanExtension.Create(false, trustDomain.IdString));
        var now = time.GetUtcNow();
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + (lifetime ?? TimeSpan.FromDays(365)));
        return new DevCertificateAuthority(trustDomain, certificate, time);
    }

    /// <summary>Loads a CA from its PEM certificate and PEM private key.</summary>
    /// <exception cref="IdentityLoadException">The PEM is malformed, the key does not match, or the certificate is not a CA with a trust domain ID.</exception>
    public static DevCertificateAuthority FromPem(string certificatePem, string keyPem, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(keyPem);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidFormat, "The CA certificate or key PEM is invalid or they do not match.", e);
        }
        var uris = Internal.CertificateFacts.UriSans(certificate);
        if (!Internal.CertificateFacts.IsCa(certificate) || uris is not { Count: 1 } || !TrustDomain.TryParse(uris[0], out var trustDomain))
        {
            certificate.Dispose();
            throw new IdentityLoadException(IdentityLoadError.InvalidFormat, "The CA certificate is not a CA with a spiffe://<trust-domain> URI SAN.");
        }
        return new DevCertificateAuthority(trustDomain, certificate, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Issues an X.509-SVID for a workload of this trust domain.</summary>
    /// <param name="id">The workload's SPIFFE ID (must be in this trust domain and have a path).</param>
    /// <param name="lifetime">Validity; default 24 hours.</param>
    /// <param name="rsa">Issue an RSA 2048 key instead of EC P-256.</param>
    /// <exception cref="ArgumentException">The ID is in another trust domain or has no path.</exception>
    public X509Svid IssueSvid(SpiffeId id, TimeSpan? lifetime = null, bool rsa = false)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!id.IsMemberOf(TrustDomain) || id.IsTrustDomainId)
        {
            throw new ArgumentException($"The CA of {TrustDomain} only issues workload IDs of its own trust domain.", nameof(id));
        }
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"O=Aztp, CN={id.Path.TrimStart('/')}");
        var request = key is RSA r
            ? new CertificateRequest(subject, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var usage = X509KeyUsageFlags.DigitalSignature | (rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.None);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(Internal.CertificateFacts.ServerAuthOid), new Oid(Internal.CertificateFacts.ClientAuthOid)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        // X509-SVID §2: the SAN is critical when the subject is empty; ours has a subject, but criticality is harmless.
        request.CertificateExtensions.Add(Internal.UriSanExtension.Create(true, id.ToString()));
        var now = _time.GetUtcNow();
        var notAfter = now + (lifetime ?? TimeSpan.FromHours(24));
        var caNotAfter = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caNotAfter)
        {
            notAfter = caNotAfter;
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var caKey = Certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The CA has no EC private key.");
        // The generator overload lets an EC CA sign an RSA leaf.
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-1), notAfter, serial);
        var withKey = key is RSA rk ? issued.CopyWithPrivateKey(rk) : issued.CopyWithPrivateKey((ECDsa)key);
        return X509Svid.FromCertificates(withKey);
    }

    /// <summary>A trust bundle holding this CA.</summary>
    public TrustBundle ToBundle() => new(TrustDomain, [X509CertificateLoader.LoadCertificate(Certificate.RawData)]);

    /// <summary>The CA certificate as PEM.</summary>
    public string ExportCertificatePem() => Certificate.ExportCertificatePem();

    /// <summary>The CA private key as PKCS#8 PEM. Handle with care.</summary>
    public string ExportPrivateKeyPem()
    {
        using var key = Certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The CA has no EC private key.");
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <inheritdoc />
    public void Dispose() => Certificate.Dispose();
}
