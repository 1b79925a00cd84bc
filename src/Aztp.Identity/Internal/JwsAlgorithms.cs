using System.Security.Cryptography;

namespace Aztp.Identity.Internal;

/// <summary>Maps JWS algorithm names to BCL signature operations (RFC 7518 §3).</summary>
internal static class JwsAlgorithms
{
    internal static bool TryParse(ReadOnlySpan<byte> name, out JwtAlgorithm algorithm)
    {
        algorithm = default;
        if (name.Length != 5)
        {
            return false;
        }
        switch (name[0], name[1])
        {
            case ((byte)'R', (byte)'S'): algorithm = JwtAlgorithm.RS256; break;
            case ((byte)'E', (byte)'S'): algorithm = JwtAlgorithm.ES256; break;
            case ((byte)'P', (byte)'S'): algorithm = JwtAlgorithm.PS256; break;
            default: return false;
        }
        var bits = name[2..];
        if (bits.SequenceEqual("256"u8))
        {
            return true;
        }
        if (bits.SequenceEqual("384"u8))
        {
            algorithm += 1;
            return true;
        }
        if (bits.SequenceEqual("512"u8))
        {
            algorithm += 2;
            return true;
        }
        return false;
    }

    internal static string Name(JwtAlgorithm algorithm) => algorithm.ToString();

    internal static HashAlgorithmName Hash(JwtAlgorithm algorithm) => algorithm switch
    {
        JwtAlgorithm.RS256 or JwtAlgorithm.ES256 or JwtAlgorithm.PS256 => HashAlgorithmName.SHA256,
        JwtAlgorithm.RS384 or JwtAlgorithm.ES384 or JwtAlgorithm.PS384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    internal static bool IsEc(JwtAlgorithm algorithm) => algorithm is JwtAlgorithm.ES256 or JwtAlgorithm.ES384 or JwtAlgorithm.ES512;

    /// <summary>The curve an ES algorithm requires (RFC 7518 §3.4).</summary>
    internal static int CurveBits(JwtAlgorithm algorithm) => algorithm switch
    {
        JwtAlgorithm.ES256 => 256,
        JwtAlgorithm.ES384 => 384,
        JwtAlgorithm.ES512 => 521,
        _ => 0,
    };

    internal static RSASignaturePadding Padding(JwtAlgorithm algorithm) =>
        algorithm is JwtAlgorithm.PS256 or JwtAlgorithm.PS384 or JwtAlgorithm.PS512 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    /// <summary>Whether a key can verify/sign with an algorithm (key family and, for EC, the curve).</summary>
    internal static bool Fits(JwtAlgorithm algorithm, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => IsEc(algorithm) && ec.KeySize == CurveBits(algorithm),
        RSA rsa => !IsEc(algorithm) && rsa.KeySize >= 2048,
        _ => false,
    };

    internal static bool Verify(JwtAlgorithm algorithm, AsymmetricAlgorithm key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        // One-shot hash into a stack buffer, then verify the hash: avoids a per-call incremental digest object.
        Span<byte> hash = stackalloc byte[64];
        var name = Hash(algorithm);
        var length = name == HashAlgorithmName.SHA256 ? SHA256.HashData(data, hash)
            : name == HashAlgorithmName.SHA384 ? SHA384.HashData(data, hash)
            : SHA512.HashData(data, hash);
        return key switch
        {
            // JWS ES* signatures are the fixed-width r||s concatenation (RFC 7518 §3.4).
            ECDsa ec => ec.VerifyHash(hash[..length], signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            RSA rsa => rsa.VerifyHash(hash[..length], signature, name, Padding(algorithm)),
            _ => false,
        };
    }

    internal static byte[] Sign(JwtAlgorithm algorithm, AsymmetricAlgorithm key, ReadOnlySpan<byte> data) => key switch
    {
        ECDsa ec => ec.SignData(data, Hash(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        RSA rsa => rsa.SignData(data.ToArray(), Hash(algorithm), Padding(algorithm)),
        _ => throw new ArgumentException("JWT signing keys must be ECDsa or RSA.", nameof(key)),
    };
}
