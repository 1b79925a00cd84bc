using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Aztp.Identity.Internal;

/// <summary>RFC 7517/7518 public-key JWK conversion for EC and RSA keys.</summary>
internal static class Jwk
{
    internal static void WritePublicKey(JsonObject jwk, AsymmetricAlgorithm key)
    {
        switch (key)
        {
            case ECDsa ec:
            {
                var p = ec.ExportParameters(false);
                jwk["kty"] = "EC";
                jwk["crv"] = CurveName(p.Curve);
                jwk["x"] = Base64Url.Encode(p.Q.X);
                jwk["y"] = Base64Url.Encode(p.Q.Y);
                break;
            }
            case RSA rsa:
            {
                var p = rsa.ExportParameters(false);
                jwk["kty"] = "RSA";
                jwk["n"] = Base64Url.Encode(p.Modulus);
                jwk["e"] = Base64Url.Encode(p.Exponent);
                break;
            }
            default:
                throw new ArgumentException("Only EC and RSA keys can be written as JWKs.", nameof(key));
        }
    }

    /// <summary>Reads an EC or RSA public key from a JWK; throws <see cref="FormatException"/> when malformed.</summary>
    internal static AsymmetricAlgorithm ReadPublicKey(JsonObject jwk)
    {
        var kty = String(jwk, "kty");
        switch (kty)
        {
            case "EC":
            {
                var curve = String(jwk, "crv") switch
                {
                    "P-256" => ECCurve.NamedCurves.nistP256,
                    "P-384" => ECCurve.NamedCurves.nistP384,
                    "P-521" => ECCurve.NamedCurves.nistP521,
                    var other => throw new FormatException($"Unsupported EC curve '{other}'."),
                };
                var parameters = new ECParameters
                {
                    Curve = curve,
                    Q = new ECPoint { X = Bytes(jwk, "x"), Y = Bytes(jwk, "y") },
                };
                var ec = ECDsa.Create();
                try
                {
                    ec.ImportParameters(parameters);
                }
                catch (CryptographicException e)
                {
                    ec.Dispose();
                    throw new FormatException("The EC key parameters are invalid.", e);
                }
                return ec;
            }
            case "RSA":
            {
                var parameters = new RSAParameters { Modulus = Bytes(jwk, "n"), Exponent = Bytes(jwk, "e") };
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportParameters(parameters);
                }
                catch (CryptographicException e)
                {
                    rsa.Dispose();
                    throw new FormatException("The RSA key parameters are invalid.", e);
                }
                if (rsa.KeySize < 2048)
                {
                    rsa.Dispose();
                    throw new FormatException("RSA keys must be at least 2048 bits.");
                }
                return rsa;
            }
            default:
                throw new FormatException($"Unsupported key type '{kty}'.");
        }
    }

    internal static string CurveName(ECCurve curve) => curve.Oid?.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        _ => curve.Oid?.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" => "P-256",
            "nistP384" or "ECDSA_P384" => "P-384",
            "nistP521" or "ECDSA_P521" => "P-521",
            _ => throw new ArgumentException("Unsupported EC curve.", nameof(curve)),
        },
    };

    internal static string String(JsonObject jwk, string name) =>
        jwk[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new FormatException($"The JWK member '{name}' is missing or not a string.");

    private static byte[] Bytes(JsonObject jwk, string name) =>
        Base64Url.TryDecode(String(jwk, name), out var bytes) && bytes.Length > 0
            ? bytes
            : throw new FormatException($"The JWK member '{name}' is not base64url.");
}
