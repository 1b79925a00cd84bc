using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>A public key that signs JWT-SVIDs for a trust domain, identified by its key ID (<c>kid</c>).</summary>
public sealed class JwtAuthority : IDisposable
{
    /// <summary>Creates an authority from a public key (an <see cref="ECDsa"/> or <see cref="RSA"/>); the key is owned.</summary>
    /// <exception cref="ArgumentException">The key is not EC P-256/P-384/P-521 or RSA of at least 2048 bits.</exception>
    public JwtAuthority(string keyId, AsymmetricAlgorithm publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(publicKey);
        if (publicKey is RSA rsa && rsa.KeySize < 2048)
        {
            throw new ArgumentException("RSA JWT keys must be at least 2048 bits.", nameof(publicKey));
        }
        if (publicKey is not (RSA or ECDsa))
        {
            throw new ArgumentException("JWT keys must be ECDsa or RSA.", nameof(publicKey));
        }
        KeyId = keyId;
        PublicKey = publicKey;
    }

    /// <summary>The key ID.</summary>
    public string KeyId { get; }

    /// <summary>The public key (<see cref="ECDsa"/> or <see cref="RSA"/>).</summary>
    public AsymmetricAlgorithm PublicKey { get; }

    /// <summary>Writes this key as a JWK with <c>use</c> = <c>jwt-svid</c>.</summary>
    public JsonObject ToJwk()
    {
        var jwk = new JsonObject { ["use"] = "jwt-svid", ["kid"] = KeyId };
        Jwk.WritePublicKey(jwk, PublicKey);
        return jwk;
    }

    /// <inheritdoc />
    public void Dispose() => PublicKey.Dispose();
}
