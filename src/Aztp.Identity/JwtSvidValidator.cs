using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// Validates JWT-SVIDs (JWT-SVID §3, §4): only RS/ES/PS 256/384/512 (<c>none</c> and HS* are refused before anything
/// else is trusted); the <c>kid</c> is looked up in the JWT bundle of the subject's trust domain; <c>sub</c> must be a
/// workload SPIFFE ID; <c>exp</c> is required and enforced with a small skew; <c>aud</c> must contain the expected
/// audience. Valid tokens are cached by their exact text until they expire or the bundles change. Thread-safe.
/// </summary>
public sealed class JwtSvidValidator
{
    /// <summary>The longest token accepted (characters); longer input is refused as malformed before any decoding.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);
    private readonly ITrustBundleSource _bundles;
    private readonly TimeProvider _time;
    private readonly TimeSpan _skew;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, CacheEntry>? _cache;

    /// <summary>Creates a validator over a bundle source.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The skew is negative or above 5 minutes, or the capacity is negative.</exception>
    public JwtSvidValidator(ITrustBundleSource bundles, JwtSvidValidatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        options ??= new JwtSvidValidatorOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxSkew)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "JwtSvidValidatorOptions.ClockSkew must be between 0 and 5 minutes.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(options.CacheCapacity);
        _bundles = bundles;
        _time = options.TimeProvider;
        _skew = options.ClockSkew;
        _capacity = options.CacheCapacity;
        _cache = _capacity > 0 ? new ConcurrentDictionary<string, CacheEntry>(StringComparer.Ordinal) : null;
    }

    /// <summary>The number of tokens currently cached.</summary>
    public int CachedCount => _cache?.Count ?? 0;

    /// <summary>Validates a token for an expected audience.</summary>
    public JwtSvidValidationResult Validate(string? token, string audience)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        if (string.IsNullOrEmpty(token))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, "the token is empty");
        }
        var now = _time.GetUtcNow();
        var generation = _bundles.Generation;
        if (_cache is not null && _cache.TryGetValue(token, out var entry) && entry.Generation == generation
            && now <= entry.Result.Svid!.Expiry + _skew
            && (entry.Result.Svid.NotBefore is null || now >= entry.Result.Svid.NotBefore.Value - _skew))
        {
            var audiences = entry.Result.Svid.Audience;
            for (var i = 0; i < audiences.Count; i++)
            {
                if (string.Equals(audiences[i], audience, StringComparison.Ordinal))
                {
                    return entry.Result;
                }
            }
        }
        var result = ValidateCold(token, audience, now);
        if (result.IsValid && _cache is not null)
        {
            if (_cache.Count >= _capacity)
            {
                _cache.Clear();
            }
            _cache[token] = new CacheEntry(result, generation);
        }
        return result;
    }

    /// <summary>Drops every cached token.</summary>
    public void ClearCache() => _cache?.Clear();

    private JwtSvidValidationResult ValidateCold(string token, string audience, DateTimeOffset now)
    {
        if (token.Length > MaxTokenLength)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, $"the token is longer than {MaxTokenLength} characters");
        }
        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == token.Length - 1 || token.IndexOf('.', second + 1) >= 0)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, "a JWT-SVID is three base64url parts (compact JWS)");
        }
        if (!Base64Url.TryDecode(token.AsSpan(0, first), out var headerBytes)
            || !Base64Url.TryDecode(token.AsSpan(first + 1, second - first - 1), out var claimBytes)
            || !Base64Url.TryDecode(token.AsSpan(second + 1), out var signature))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, "a part is not unpadded base64url");
        }

        // JOSE header (JWT-SVID §2): alg first, so none/HS* never get further.
        if (!TryReadHeader(headerBytes, out var header))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, "the header is not a JSON object with string members");
        }
        if (header.Alg is null || !JwsAlgorithms.TryParse(Encoding.UTF8.GetBytes(header.Alg), out var algorithm))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.UnsupportedAlgorithm, $"algorithm '{Truncate(header.Alg)}' is not allowed (only RS/ES/PS 256/384/512)");
        }
        if (header.Typ is not null && header.Typ is not ("JWT" or "JOSE"))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.InvalidType, "the typ header must be JWT or JOSE");
        }
        if (header.HasCrit)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.UnsupportedCritical, "the crit header names extensions this validator does not support");
        }
        if (string.IsNullOrEmpty(header.Kid))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.MissingKeyId, "the header has no kid");
        }

        if (!TryReadClaims(claimBytes, out var claims))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Malformed, "the claims are not a JSON object of the expected types");
        }
        if (claims.Sub is null)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.MissingSubject, "the token has no sub claim");
        }
        if (!SpiffeId.TryParse(claims.Sub, out var subject, out var rule) || subject.IsTrustDomainId)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.InvalidSubject,
                $"sub is not a workload SPIFFE ID ({(rule == SpiffeIdRule.None ? "it has no path" : SpiffeId.DescribeRule(rule))})");
        }

        // The key comes only from the bundle of the subject's own trust domain.
        if (!_bundles.TryGetBundle(subject.TrustDomain, out var bundle) || bundle.JwtAuthorities.Count == 0)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.WrongTrustDomain, $"no JWT bundle for trust domain {subject.TrustDomain}", subject);
        }
        if (!bundle.JwtAuthorities.TryGetValue(header.Kid, out var authority))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.UnknownKeyId, $"kid '{Truncate(header.Kid)}' is not in the JWT bundle of {subject.TrustDomain}", subject);
        }
        if (!JwsAlgorithms.Fits(algorithm, authority.PublicKey))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.AlgorithmKeyMismatch, $"the key '{Truncate(header.Kid)}' cannot verify {algorithm}", subject);
        }
        var inputLength = second;
        var rented = ArrayPool<byte>.Shared.Rent(inputLength);
        bool verified;
        try
        {
            var written = Encoding.ASCII.GetBytes(token.AsSpan(0, inputLength), rented);
            verified = JwsAlgorithms.Verify(algorithm, authority.PublicKey, rented.AsSpan(0, written), signature);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            verified = false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        if (!verified)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.BadSignature, "the signature does not verify", subject);
        }

        // JWT-SVID §3: exp is required; aud is required and must contain us.
        if (claims.Exp is null)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.MissingExpiry, "the token has no exp claim", subject);
        }
        var expiry = claims.Exp.Value;
        if (now > expiry + _skew)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.Expired, $"the token expired at {expiry:yyyy-MM-ddTHH:mm:ssZ}", subject);
        }
        if (claims.Nbf is { } nbf && now < nbf - _skew)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.NotYetValid, $"the token is not valid before {nbf:yyyy-MM-ddTHH:mm:ssZ}", subject);
        }
        if (claims.Aud is null || claims.Aud.Count == 0)
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.MissingAudience, "the token has no aud claim", subject);
        }
        if (!claims.Aud.Contains(audience, StringComparer.Ordinal))
        {
            return JwtSvidValidationResult.Fail(JwtSvidFailure.WrongAudience, $"the audience does not include '{Truncate(audience)}'", subject);
        }
        return JwtSvidValidationResult.Valid(new JwtSvid(token, subject, claims.Aud, expiry, claims.Iat, claims.Nbf, header.Kid, algorithm));
    }

    private static string Truncate(string? value) => value is null ? "(missing)" : value.Length <= 64 ? value : value[..64] + "…";

    private static bool TryReadHeader(byte[] json, out Header header)
    {
        header = default;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    return false; // Duplicate members are ambiguous; refuse rather than pick one.
                }
                reader.Read();
                switch (name)
                {
                    case "alg": header.Alg = StringValue(ref reader); break;
                    case "typ": header.Typ = StringValue(ref reader); break;
                    case "kid": header.Kid = StringValue(ref reader); break;
                    case "crit": header.HasCrit = true; reader.Skip(); break;
                    default: reader.Skip(); break;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryReadClaims(byte[] json, out Claims claims)
    {
        claims = default;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    return false;
                }
                reader.Read();
                switch (name)
                {
                    case "sub": claims.Sub = StringValue(ref reader); break;
                    case "exp": claims.Exp = NumericDate(ref reader); break;
                    case "nbf": claims.Nbf = NumericDate(ref reader); break;
                    case "iat": claims.Iat = NumericDate(ref reader); break;
                    case "aud":
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            claims.Aud = [reader.GetString()!];
                        }
                        else if (reader.TokenType == JsonTokenType.StartArray)
                        {
                            var list = new List<string>();
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                list.Add(StringValue(ref reader));
                            }
                            claims.Aud = list;
                        }
                        else
                        {
                            throw new JsonException("aud must be a string or an array of strings");
                        }
                        break;
                    default: reader.Skip(); break;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static string StringValue(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("expected a string");

    // RFC 7519 §2: NumericDate is seconds since the epoch, possibly with a fraction.
    private static DateTimeOffset NumericDate(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException("expected a NumericDate");
        }
        var seconds = reader.TryGetInt64(out var whole) ? whole : (long)Math.Floor(reader.GetDouble());
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private struct Header
    {
        public string? Alg;
        public string? Typ;
        public string? Kid;
        public bool HasCrit;
    }

    private struct Claims
    {
        public string? Sub;
        public List<string>? Aud;
        public DateTimeOffset? Exp;
        public DateTimeOffset? Nbf;
        public DateTimeOffset? Iat;
    }

    private sealed record CacheEntry(JwtSvidValidationResult Result, long Generation);
}
