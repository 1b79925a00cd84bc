using System.Security.Cryptography;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// A private key that mints JWT-SVIDs (development and tests; in production SPIRE signs them). Holds the key; dispose it.
/// </summary>
public sealed class JwtSigningKey : IDisposable
{
    /// <summary>Wraps an existing private key (owned from now on).</summary>
    /// <param name="keyId">The <c>kid</c> to put in tokens and in the JWT bundle.</param>
    /// <param name="privateKey">An <see cref="ECDsa"/> or <see cref="RSA"/> private key.</param>
    /// <param name="algorithm">The algorithm; it must fit the key (ES256 needs P-256, RS/PS need RSA ≥ 2048).</param>
    /// <exception cref="ArgumentException">The key does not fit the algorithm.</exception>
    public JwtSigningKey(string keyId, AsymmetricAlgorithm privateKey, JwtAlgorithm algorithm)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!JwsAlgorithms.Fits(algorithm, privateKey))
        {
            throw new ArgumentException($"A {privateKey.GetType().Name} key of {privateKey.KeySize} bits cannot sign {algorithm}.", nameof(privateKey));
        }
        KeyId = keyId;
        PrivateKey = privateKey;
        Algorithm = algorithm;
    }

    /// <summary>The key ID.</summary>
    public string KeyId { get; }

    /// <summary>The algorithm tokens are signed with.</summary>
    public JwtAlgorithm Algorithm { get; }

    /// <summary>The private key. Never log or export it outside protected storage.</summary>
    public AsymmetricAlgorithm PrivateKey { get; }

    /// <summary>Generates a fresh key for an algorithm (RSA keys are 2048 bits).</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="keyId">The key ID; by default derived from the public key (base64url of a SHA-256 prefix).</param>
    public static JwtSigningKey Generate(JwtAlgorithm algorithm, string? keyId = null)
    {
        AsymmetricAlgorithm key = JwsAlgorithms.IsEc(algorithm)
            ? ECDsa.Create(JwsAlgorithms.CurveBits(algorithm) switch
            {
                256 => ECCurve.NamedCurves.nistP256,
                384 => ECCurve.NamedCurves.nistP384,
                _ => ECCurve.NamedCurves.nistP521,
            })
            : RSA.Create(2048);
        return new JwtSigningKey(keyId ?? DeriveKeyId(key), key, algorithm);
    }

    /// <summary>Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) and picks the algorithm: ES by curve, or the given RSA one.</summary>
    /// <exception cref="IdentityLoadException">The PEM is not an EC or RSA private key.</exception>
    public static JwtSigningKey FromPem(string pem, string? keyId = null, JwtAlgorithm rsaAlgorithm = JwtAlgorithm.RS256)
    {
        ArgumentNullException.ThrowIfNull(pem);
        AsymmetricAlgorithm key;
        JwtAlgorithm algorithm;
        if (TryRsa(pem, out var rsa))
        {
            key = rsa;
            algorithm = rsaAlgorithm;
        }
        else
        {
            var ec = ECDsa.Create();
            try
            {
                ec.ImportFromPem(pem);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                ec.Dispose();
                throw new IdentityLoadException(IdentityLoadError.InvalidFormat, "The JWT signing key PEM is not an EC or RSA private key.", e);
            }
            key = ec;
            algorithm = ec.KeySize switch { 256 => JwtAlgorithm.ES256, 384 => JwtAlgorithm.ES384, _ => JwtAlgorithm.ES512 };
        }
        try
        {
            return new JwtSigningKey(keyId ?? DeriveKeyId(key), key, algorithm);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new IdentityLoadException(IdentityLoadError.UnsupportedKey, e.Message, e);
        }
    }

    /// <summary>The public half as a JWT authority for a bundle.</summary>
    public JwtAuthority ToAuthority()
    {
        AsymmetricAlgorithm publicKey = PrivateKey switch
        {
            ECDsa ec => ECDsa.Create(ec.ExportParameters(false)),
            RSA rsa => RSA.Create(rsa.ExportParameters(false)),
            _ => throw new InvalidOperationException("Unsupported key."),
        };
        return new JwtAuthority(KeyId, publicKey);
    }

    /// <summary>The private key as PKCS#8 PEM. Handle with care.</summary>
    public string ExportPrivateKeyPem() => PrivateKey.ExportPkcs8PrivateKeyPem();

    /// <inheritdoc />
    public void Dispose() => PrivateKey.Dispose();

    /// <summary>A stable key ID: base64url of the first 16 bytes of SHA-256 over the SubjectPublicKeyInfo.</summary>
    public static string DeriveKeyId(AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var spki = key.ExportSubjectPublicKeyInfo();
        return Base64Url.Encode(SHA256.HashData(spki).AsSpan(0, 16));
    }

    private static bool TryRsa(string pem, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RSA? rsa)
    {
        rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            rsa = null;
            return false;
        }
    }
}
