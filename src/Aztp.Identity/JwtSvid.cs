using System.Text;
using System.Text.Json;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// A JWT-SVID (JWT-SVID standard): a compact JWS whose <c>sub</c> is a SPIFFE ID, with an audience and an expiry.
/// <see cref="ToString"/> never prints the token itself.
/// </summary>
public sealed class JwtSvid
{
    internal JwtSvid(string token, SpiffeId id, IReadOnlyList<string> audience, DateTimeOffset expiry, DateTimeOffset? issuedAt,
        DateTimeOffset? notBefore, string keyId, JwtAlgorithm algorithm)
    {
        Token = token;
        Id = id;
        Audience = audience;
        Expiry = expiry;
        IssuedAt = issuedAt;
        NotBefore = notBefore;
        KeyId = keyId;
        Algorithm = algorithm;
    }

    /// <summary>The compact token. A bearer credential: never log it.</summary>
    public string Token { get; }

    /// <summary>The subject's SPIFFE ID.</summary>
    public SpiffeId Id { get; }

    /// <summary>The audience.</summary>
    public IReadOnlyList<string> Audience { get; }

    /// <summary>The expiry (<c>exp</c>).</summary>
    public DateTimeOffset Expiry { get; }

    /// <summary>When it was issued (<c>iat</c>), when present.</summary>
    public DateTimeOffset? IssuedAt { get; }

    /// <summary>The <c>nbf</c> claim, when present.</summary>
    public DateTimeOffset? NotBefore { get; }

    /// <summary>The signing key's ID.</summary>
    public string KeyId { get; }

    /// <summary>The signature algorithm.</summary>
    public JwtAlgorithm Algorithm { get; }

    /// <summary>Mints a JWT-SVID (development and tests).</summary>
    /// <param name="subject">The workload's SPIFFE ID.</param>
    /// <param name="audience">One or more audiences.</param>
    /// <param name="expiry">The expiry.</param>
    /// <param name="key">The signing key of the subject's trust domain.</param>
    /// <param name="issuedAt">The <c>iat</c> claim; omitted when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The audience is empty or the subject is a trust domain ID.</exception>
    public static JwtSvid Mint(SpiffeId subject, IEnumerable<string> audience, DateTimeOffset expiry, JwtSigningKey key, DateTimeOffset? issuedAt = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentNullException.ThrowIfNull(key);
        if (subject.IsTrustDomainId)
        {
            throw new ArgumentException("A JWT-SVID subject must be a workload SPIFFE ID (with a path).", nameof(subject));
        }
        string[] audiences = [.. audience];
        if (audiences.Length == 0 || Array.Exists(audiences, string.IsNullOrEmpty))
        {
            throw new ArgumentException("A JWT-SVID needs at least one non-empty audience.", nameof(audience));
        }
        using var headerStream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(headerStream))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", JwsAlgorithms.Name(key.Algorithm));
            writer.WriteString("kid", key.KeyId);
            writer.WriteString("typ", "JWT");
            writer.WriteEndObject();
        }
        using var claimsStream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(claimsStream))
        {
            writer.WriteStartObject();
            writer.WriteString("sub", subject.ToString());
            if (audiences.Length == 1)
            {
                writer.WriteString("aud", audiences[0]);
            }
            else
            {
                writer.WriteStartArray("aud");
                foreach (var a in audiences)
                {
                    writer.WriteStringValue(a);
                }
                writer.WriteEndArray();
            }
            writer.WriteNumber("exp", expiry.ToUnixTimeSeconds());
            if (issuedAt is { } iat)
            {
                writer.WriteNumber("iat", iat.ToUnixTimeSeconds());
            }
            writer.WriteEndObject();
        }
        var signingInput = Base64Url.Encode(headerStream.ToArray()) + "." + Base64Url.Encode(claimsStream.ToArray());
        var signature = JwsAlgorithms.Sign(key.Algorithm, key.PrivateKey, Encoding.ASCII.GetBytes(signingInput));
        var token = signingInput + "." + Base64Url.Encode(signature);
        return new JwtSvid(token, subject, audiences, DateTimeOffset.FromUnixTimeSeconds(expiry.ToUnixTimeSeconds()),
            issuedAt is null ? null : DateTimeOffset.FromUnixTimeSeconds(issuedAt.Value.ToUnixTimeSeconds()), null, key.KeyId, key.Algorithm);
    }

    /// <summary>Describes the SVID without the token.</summary>
    public override string ToString() => $"JWT-SVID {Id} aud=[{string.Join(",", Audience)}] exp={Expiry:O} kid={KeyId} alg={Algorithm}";
}
