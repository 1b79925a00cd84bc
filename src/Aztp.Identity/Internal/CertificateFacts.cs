using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Internal;

/// <summary>Reads the X.509 facts the X509-SVID standard constrains.</summary>
internal static class CertificateFacts
{
    internal const string SanOid = "2.5.29.17";
    internal const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    internal const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The URI SANs of a certificate; <see langword="null"/> when the SAN extension is malformed.</summary>
    internal static List<string>? UriSans(X509Certificate2 certificate)
    {
        var result = new List<string>(1);
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SanOid)
            {
                continue;
            }
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                reader.ThrowIfNotEmpty();
                while (names.HasData)
                {
                    if (names.PeekTag() == UriTag)
                    {
                        result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        return result;
    }

    internal static X509BasicConstraintsExtension? BasicConstraints(X509Certificate2 certificate) =>
        certificate.Extensions[("2.5.29.19")] as X509BasicConstraintsExtension;

    internal static X509KeyUsageExtension? KeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions["2.5.29.15"] as X509KeyUsageExtension;

    internal static X509EnhancedKeyUsageExtension? ExtendedKeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions["2.5.29.37"] as X509EnhancedKeyUsageExtension;

    internal static bool IsCa(X509Certificate2 certificate) => BasicConstraints(certificate)?.CertificateAuthority == true;

    /// <summary>Describes the public key (<c>EC P-256</c>, <c>RSA 2048</c>) and whether Aztp accepts it.</summary>
    internal static (string Description, bool Supported) KeyType(X509Certificate2 certificate)
    {
        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                var curve = ec.ExportParameters(false).Curve;
                var name = curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "unknown";
                var normalized = curve.Oid?.Value switch
                {
                    "1.2.840.10045.3.1.7" => "P-256",
                    "1.3.132.0.34" => "P-384",
                    "1.3.132.0.35" => "P-521",
                    _ => name,
                };
                return ($"EC {normalized}", normalized is "P-256" or "P-384");
            }
        }
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return ($"RSA {rsa.KeySize}", rsa.KeySize >= 2048);
            }
        }
        return (certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown", false);
    }

    internal static DateTimeOffset NotBefore(X509Certificate2 certificate) => new(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    internal static DateTimeOffset NotAfter(X509Certificate2 certificate) => new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    internal static string Sha256Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));
}
