using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aztp.Audit.Internal;

namespace Aztp.Audit;

/// <summary>
/// The key that signs audit checkpoints: the writing agent's SVID private key (ECDSA P-256/P-384/P-521 or RSA) with its
/// leaf certificate, which must carry a <c>spiffe://</c> URI SAN, and any intermediate CA certificates. The leaf and
/// intermediates are copied into every checkpoint so a verifier needs only the trust bundle.
/// </summary>
public sealed class AuditSigner : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly bool _ownsKey;

    /// <summary>Creates a signer from a private key and its certificate chain.</summary>
    /// <param name="privateKey">An <see cref="ECDsa"/> or <see cref="RSA"/> private key matching the leaf. Not disposed by the signer.</param>
    /// <param name="leaf">The leaf certificate (the SVID) with a spiffe:// URI SAN.</param>
    /// <param name="intermediates">CA certificates between the leaf and the trust bundle, leaf-side first.</param>
    /// <exception cref="ArgumentException">The key is of an unsupported type, does not match the leaf, or the leaf has no SPIFFE ID.</exception>
    public AuditSigner(AsymmetricAlgorithm privateKey, X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates = null)
        : this(privateKey, leaf, intermediates, ownsKey: false)
    {
    }

    private AuditSigner(AsymmetricAlgorithm privateKey, X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates, bool ownsKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(leaf);
        _key = privateKey;
        _ownsKey = ownsKey;
        Algorithm = privateKey switch
        {
            ECDsa ec => ec.KeySize switch
            {
                256 => "ES256",
                384 => "ES384",
                521 => "ES512",
                _ => throw new ArgumentException($"Unsupported ECDSA key size {ec.KeySize}; use P-256, P-384 or P-521.", nameof(privateKey)),
            },
            RSA rsa when rsa.KeySize >= 2048 => "RS256",
            RSA => throw new ArgumentException("RSA checkpoint keys must be at least 2048 bits.", nameof(privateKey)),
            _ => throw new ArgumentException($"Unsupported key type {privateKey.GetType().Name}; use ECDsa or RSA.", nameof(privateKey)),
        };
        SpiffeId = SpiffeSan.GetSpiffeId(leaf)
            ?? throw new ArgumentException("The signing certificate has no single spiffe:// URI SAN; checkpoints must be signed with an SVID.", nameof(leaf));
        var chain = new List<byte[]> { leaf.RawData };
        if (intermediates is not null)
        {
            foreach (var cert in intermediates)
            {
                ArgumentNullException.ThrowIfNull(cert, nameof(intermediates));
                chain.Add(cert.RawData);
            }
        }
        CertificateChain = chain;
        // Prove the key belongs to the leaf now, rather than writing checkpoints nobody can verify.
        byte[] probe = "aztp-audit-signer-probe"u8.ToArray();
        if (!AuditCheckpoint.VerifySignature(Algorithm, leaf, probe, Sign(probe)))
        {
            throw new ArgumentException("The private key does not match the signing certificate's public key.", nameof(privateKey));
        }
    }

    /// <summary>Creates a signer from a certificate that holds its private key (ECDSA or RSA).</summary>
    /// <param name="certificate">The SVID with its private key.</param>
    /// <param name="intermediates">CA certificates between the leaf and the trust bundle, leaf-side first.</param>
    /// <exception cref="ArgumentException">The certificate has no usable private key or no SPIFFE ID.</exception>
    public static AuditSigner FromCertificate(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException("The certificate has no ECDSA or RSA private key.", nameof(certificate));
        try
        {
            return new AuditSigner(key, certificate, intermediates, ownsKey: true);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The JOSE name of the signature algorithm: ES256, ES384, ES512 (IEEE P1363 r‖s) or RS256 (PKCS#1 v1.5).</summary>
    public string Algorithm { get; }

    /// <summary>The SPIFFE ID of the signing SVID.</summary>
    public string SpiffeId { get; }

    /// <summary>DER certificates copied into checkpoints: the leaf first, then intermediates.</summary>
    public IReadOnlyList<byte[]> CertificateChain { get; }

    /// <summary>Signs bytes with the checkpoint algorithm.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key switch
    {
        ECDsa ec => ec.SignData(data, AuditCheckpoint.HashFor(Algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        RSA rsa => rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException("Unsupported key."),
    };

    /// <summary>Disposes the private key when the signer created it (<see cref="FromCertificate"/>).</summary>
    public void Dispose()
    {
        if (_ownsKey)
        {
            _key.Dispose();
        }
    }
}
