using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// This workload's own X.509-SVID: the leaf certificate with its private key, the intermediates to present with it, and
/// the SPIFFE ID from its URI SAN. Keys are EC P-256/P-384 or RSA of at least 2048 bits.
/// </summary>
public sealed class X509Svid : IDisposable
{
    private X509Svid(SpiffeId id, X509Certificate2 certificate, IReadOnlyList<X509Certificate2> intermediates, string keyType)
    {
        Id = id;
        Certificate = certificate;
        Intermediates = intermediates;
        KeyType = keyType;
        NotBefore = CertificateFacts.NotBefore(certificate);
        NotAfter = CertificateFacts.NotAfter(certificate);
    }

    /// <summary>The SPIFFE ID.</summary>
    public SpiffeId Id { get; }

    /// <summary>The leaf certificate, with its private key (usable for TLS).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediate CA certificates presented after the leaf (may be empty).</summary>
    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>The key type, for example <c>EC P-256</c> or <c>RSA 2048</c>.</summary>
    public string KeyType { get; }

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The leaf's serial number in hex.</summary>
    public string SerialNumber => Certificate.SerialNumber;

    /// <summary>Loads an SVID from a PEM certificate file (leaf first, then intermediates) and a PEM private key file.</summary>
    /// <exception cref="IdentityLoadException">A file is missing or malformed, the key does not match, or the certificate is not an SVID.</exception>
    public static X509Svid Load(string certificatePath, string keyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        if (!File.Exists(certificatePath))
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound, $"The SVID certificate file '{certificatePath}' does not exist.");
        }
        if (!File.Exists(keyPath))
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound, $"The SVID key file '{keyPath}' does not exist.");
        }
        return FromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath), certificatePath);
    }

    /// <summary>Builds an SVID from PEM text (certificates, leaf first) and a PEM private key (PKCS#8, SEC1 or PKCS#1).</summary>
    /// <exception cref="IdentityLoadException">The PEM is malformed, the key does not match, or the certificate is not an SVID.</exception>
    public static X509Svid FromPem(string certificatePem, string keyPem, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(keyPem);
        var where = source ?? "the SVID";
        var certificates = LoadCertificates(certificatePem, where);
        var leaf = certificates[0];
        X509Certificate2 withKey;
        try
        {
            withKey = AttachKey(leaf, keyPem, where);
        }
        finally
        {
            leaf.Dispose();
        }
        try
        {
            return FromCertificates(withKey, certificates.Skip(1).ToList(), where);
        }
        catch
        {
            withKey.Dispose();
            throw;
        }
    }

    /// <summary>Builds an SVID from a leaf that already has its private key and the intermediates.</summary>
    /// <exception cref="IdentityLoadException">The leaf has no private key or is not an SVID.</exception>
    public static X509Svid FromCertificates(X509Certificate2 leafWithKey, IReadOnlyList<X509Certificate2>? intermediates = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(leafWithKey);
        var where = source ?? "the SVID";
        if (!leafWithKey.HasPrivateKey)
        {
            throw new IdentityLoadException(IdentityLoadError.KeyMismatch, $"{where}: the leaf certificate has no private key.");
        }
        var (keyType, supported) = CertificateFacts.KeyType(leafWithKey);
        if (!supported)
        {
            throw new IdentityLoadException(IdentityLoadError.UnsupportedKey, $"{where}: key type {keyType} is not supported (EC P-256/P-384 or RSA >= 2048).");
        }
        if (CertificateFacts.IsCa(leafWithKey))
        {
            throw new IdentityLoadException(IdentityLoadError.NotAnSvid, $"{where}: the leaf certificate is a CA.");
        }
        var uris = CertificateFacts.UriSans(leafWithKey);
        if (uris is null || uris.Count != 1)
        {
            throw new IdentityLoadException(IdentityLoadError.NotAnSvid, $"{where}: the leaf must have exactly one URI SAN.");
        }
        if (!SpiffeId.TryParse(uris[0], out var id, out var rule) || id.IsTrustDomainId)
        {
            throw new IdentityLoadException(IdentityLoadError.NotAnSvid,
                $"{where}: the URI SAN is not a workload SPIFFE ID ({(rule == SpiffeIdRule.None ? "it has no path" : SpiffeId.DescribeRule(rule))}).");
        }
        return new X509Svid(id, leafWithKey, [.. intermediates ?? []], keyType);
    }

    /// <summary>Reads PEM certificates, leaf first.</summary>
    /// <exception cref="IdentityLoadException">There is no certificate or one is malformed.</exception>
    public static List<X509Certificate2> LoadCertificates(string certificatePem, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidFormat, $"{source ?? "the SVID"}: a PEM certificate is malformed.", e);
        }
        if (collection.Count == 0)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidFormat, $"{source ?? "the SVID"}: no CERTIFICATE block found.");
        }
        return [.. collection];
    }

    /// <summary>The leaf and intermediates as PEM.</summary>
    public string ExportCertificatesPem()
    {
        var builder = new StringBuilder(Certificate.ExportCertificatePem()).Append('\n');
        foreach (var intermediate in Intermediates)
        {
            builder.Append(intermediate.ExportCertificatePem()).Append('\n');
        }
        return builder.ToString();
    }

    /// <summary>The private key as PKCS#8 PEM. Handle with care: never log it.</summary>
    public string ExportPrivateKeyPem()
    {
        using var ec = Certificate.GetECDsaPrivateKey();
        if (ec is not null)
        {
            return ec.ExportPkcs8PrivateKeyPem();
        }
        using var rsa = Certificate.GetRSAPrivateKey();
        return rsa?.ExportPkcs8PrivateKeyPem() ?? throw new InvalidOperationException("The SVID has no exportable private key.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var intermediate in Intermediates)
        {
            intermediate.Dispose();
        }
    }

    private static X509Certificate2 AttachKey(X509Certificate2 leaf, string keyPem, string where)
    {
        try
        {
            using var ecPublic = leaf.GetECDsaPublicKey();
            if (ecPublic is not null)
            {
                using var ec = ECDsa.Create();
                ec.ImportFromPem(keyPem);
                return leaf.CopyWithPrivateKey(ec);
            }
            using var rsaPublic = leaf.GetRSAPublicKey();
            if (rsaPublic is not null)
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(keyPem);
                return leaf.CopyWithPrivateKey(rsa);
            }
        }
        catch (ArgumentException e)
        {
            // ImportFromPem: no suitable PEM block; CopyWithPrivateKey: the key is not the certificate's.
            var mismatch = e.Message.Contains("match", StringComparison.OrdinalIgnoreCase);
            throw new IdentityLoadException(mismatch ? IdentityLoadError.KeyMismatch : IdentityLoadError.InvalidFormat,
                mismatch ? $"{where}: the private key does not match the certificate." : $"{where}: the private key PEM is malformed or of the wrong type.", e);
        }
        catch (CryptographicException e)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidFormat, $"{where}: the private key could not be read.", e);
        }
        throw new IdentityLoadException(IdentityLoadError.UnsupportedKey, $"{where}: the certificate's key is neither EC nor RSA.");
    }
}
