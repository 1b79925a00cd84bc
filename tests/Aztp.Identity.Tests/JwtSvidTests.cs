using System.Text;

namespace Aztp.Identity.Tests;

public sealed class JwtSvidTests : IDisposable
{
    private const string Audience = "spiffe://example.org/finance";
    private static readonly SpiffeId Subject = SpiffeId.Parse("spiffe://example.org/billing");
    private readonly ManualTime _time = new(TestPki.Now);
    private readonly JwtSigningKey _key = JwtSigningKey.Generate(JwtAlgorithm.ES256, "es-key");
    private readonly TrustBundleSet _bundles;

    public JwtSvidTests()
    {
        _bundles = new TrustBundleSet(new TrustBundle(Subject.TrustDomain, null, [_key.ToAuthority()]));
    }

    public void Dispose() => _key.Dispose();

    private JwtSvidValidator Validator(int cache = 0) =>
        new(_bundles, new JwtSvidValidatorOptions { TimeProvider = _time, ClockSkew = TimeSpan.FromSeconds(30), CacheCapacity = cache });

    private string Mint(JwtSigningKey? key = null, string[]? aud = null, TimeSpan? lifetime = null, SpiffeId? sub = null) =>
        JwtSvid.Mint(sub ?? Subject, aud ?? [Audience], _time.Now + (lifetime ?? TimeSpan.FromMinutes(5)), key ?? _key, _time.Now).Token;

    private static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private string Craft(string header, string claims, JwtSigningKey? signer = null)
    {
        var input = B64(header) + "." + B64(claims);
        var key = signer ?? _key;
        var signature = Internal.JwsAlgorithms.Sign(key.Algorithm, key.PrivateKey, Encoding.ASCII.GetBytes(input));
        return input + "." + Internal.Base64Url.Encode(signature);
    }

    private long Exp(int seconds = 300) => (_time.Now + TimeSpan.FromSeconds(seconds)).ToUnixTimeSeconds();

    public static TheoryData<JwtAlgorithm> Algorithms => new(Enum.GetValues<JwtAlgorithm>());

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Validate_EachAllowedAlgorithm_IsAccepted(JwtAlgorithm algorithm)
    {
        using var key = JwtSigningKey.Generate(algorithm, "k-" + algorithm);
        _bundles.Set(new TrustBundle(Subject.TrustDomain, null, [key.ToAuthority()]));
        var result = Validator().Validate(Mint(key), Audience);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Subject, result.SpiffeId);
        Assert.Equal(algorithm, result.Svid!.Algorithm);
    }

    [Fact]
    public void Validate_AlgNone_IsRefused()
    {
        var token = B64("""{"alg":"none","kid":"es-key"}""") + "." + B64($$"""{"sub":"{{Subject}}","aud":"{{Audience}}","exp":{{Exp()}}}""") + ".AA";
        Assert.Equal(JwtSvidFailure.UnsupportedAlgorithm, Validator().Validate(token, Audience).Failure);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    [InlineData("ES256K")]
    [InlineData("es256")]
    [InlineData("EdDSA")]
    public void Validate_HmacAndOtherAlgorithms_AreRefused(string alg)
    {
        var input = B64($$"""{"alg":"{{alg}}","kid":"es-key"}""") + "." + B64($$"""{"sub":"{{Subject}}","aud":"{{Audience}}","exp":{{Exp()}}}""");
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes("es-key"), Encoding.ASCII.GetBytes(input));
        var result = Validator().Validate(input + "." + Internal.Base64Url.Encode(mac), Audience);
        Assert.Equal(JwtSvidFailure.UnsupportedAlgorithm, result.Failure);
    }

    [Fact]
    public void Validate_Expired_IsRefused_ButWithinSkewIsAccepted()
    {
        var token = Mint(lifetime: TimeSpan.FromMinutes(1));
        var validator = Validator();
        _time.Advance(TimeSpan.FromSeconds(80));
        Assert.True(validator.Validate(token, Audience).IsValid);
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(JwtSvidFailure.Expired, validator.Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_NoExp_IsRefused()
    {
        var token = Craft("""{"alg":"ES256","kid":"es-key","typ":"JWT"}""", $$"""{"sub":"{{Subject}}","aud":"{{Audience}}"}""");
        Assert.Equal(JwtSvidFailure.MissingExpiry, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_WrongAudience_IsRefused()
    {
        Assert.Equal(JwtSvidFailure.WrongAudience, Validator().Validate(Mint(aud: ["spiffe://example.org/other"]), Audience).Failure);
    }

    [Fact]
    public void Validate_AudienceListContainingOurs_IsAccepted()
    {
        var result = Validator().Validate(Mint(aud: ["spiffe://example.org/other", Audience]), Audience);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(2, result.Svid!.Audience.Count);
    }

    [Fact]
    public void Validate_NoAudience_IsRefused()
    {
        var token = Craft("""{"alg":"ES256","kid":"es-key"}""", $$"""{"sub":"{{Subject}}","exp":{{Exp()}}}""");
        Assert.Equal(JwtSvidFailure.MissingAudience, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_UnknownKid_IsRefused()
    {
        using var other = JwtSigningKey.Generate(JwtAlgorithm.ES256, "unknown");
        Assert.Equal(JwtSvidFailure.UnknownKeyId, Validator().Validate(Mint(other), Audience).Failure);
    }

    [Fact]
    public void Validate_MissingKid_IsRefused()
    {
        var token = Craft("""{"alg":"ES256"}""", $$"""{"sub":"{{Subject}}","aud":"{{Audience}}","exp":{{Exp()}}}""");
        Assert.Equal(JwtSvidFailure.MissingKeyId, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_BadSignature_IsRefused()
    {
        using var impostor = JwtSigningKey.Generate(JwtAlgorithm.ES256, "es-key"); // same kid, different key
        Assert.Equal(JwtSvidFailure.BadSignature, Validator().Validate(Mint(impostor), Audience).Failure);
        var token = Mint();
        var tampered = token[..token.IndexOf('.', StringComparison.Ordinal)] + "." + B64($$"""{"sub":"spiffe://example.org/admin","aud":"{{Audience}}","exp":{{Exp()}}}""") + token[token.LastIndexOf('.')..];
        Assert.Equal(JwtSvidFailure.BadSignature, Validator().Validate(tampered, Audience).Failure);
    }

    [Theory]
    [InlineData("billing")]
    [InlineData("https://example.org/billing")]
    [InlineData("spiffe://example.org")]
    [InlineData("spiffe://example.org/a/../b")]
    public void Validate_SubThatIsNotAWorkloadSpiffeId_IsRefused(string sub)
    {
        var token = Craft("""{"alg":"ES256","kid":"es-key"}""", $$"""{"sub":"{{sub}}","aud":"{{Audience}}","exp":{{Exp()}}}""");
        Assert.Equal(JwtSvidFailure.InvalidSubject, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_SubjectOfAnotherTrustDomain_UsesOnlyThatDomainsBundle()
    {
        var token = Craft("""{"alg":"ES256","kid":"es-key"}""", $$"""{"sub":"spiffe://partner.net/x","aud":"{{Audience}}","exp":{{Exp()}}}""");
        Assert.Equal(JwtSvidFailure.WrongTrustDomain, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_AlgorithmThatDoesNotFitTheKey_IsRefused()
    {
        // Claims RS256 but the kid names an EC key: algorithm confusion must not be possible.
        var token = B64("""{"alg":"RS256","kid":"es-key"}""") + "." + B64($$"""{"sub":"{{Subject}}","aud":"{{Audience}}","exp":{{Exp()}}}""") + ".AAAA";
        Assert.Equal(JwtSvidFailure.AlgorithmKeyMismatch, Validator().Validate(token, Audience).Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("a..c")]
    [InlineData("!!!.???.***")]
    [InlineData("eyJ9.eyJ9.AA")]
    public void Validate_Malformed_IsRefused(string token)
    {
        Assert.Equal(JwtSvidFailure.Malformed, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_OversizedToken_IsMalformed()
    {
        var token = Mint();
        var padded = token[..token.IndexOf('.', StringComparison.Ordinal)] + new string('A', JwtSvidValidator.MaxTokenLength) + token[token.IndexOf('.', StringComparison.Ordinal)..];
        Assert.Equal(JwtSvidFailure.Malformed, Validator().Validate(padded, Audience).Failure);
    }

    [Fact]
    public void Validate_TruncatedRsaSignature_IsBadSignature()
    {
        using var key = JwtSigningKey.Generate(JwtAlgorithm.RS256, "rs");
        _bundles.Set(new TrustBundle(Subject.TrustDomain, null, [key.ToAuthority()]));
        var token = Mint(key);
        var shortSignature = token[..(token.LastIndexOf('.') + 1)] + Internal.Base64Url.Encode(new byte[100]);
        Assert.Equal(JwtSvidFailure.BadSignature, Validator().Validate(shortSignature, Audience).Failure);
    }

    [Fact]
    public void Validate_DuplicateClaim_IsMalformed()
    {
        var token = Craft("""{"alg":"ES256","kid":"es-key"}""", $$"""{"sub":"{{Subject}}","sub":"spiffe://example.org/admin","aud":"{{Audience}}","exp":{{Exp()}}}""");
        Assert.Equal(JwtSvidFailure.Malformed, Validator().Validate(token, Audience).Failure);
    }

    [Fact]
    public void Validate_CritHeader_And_WrongTyp_AreRefused()
    {
        var claims = $$"""{"sub":"{{Subject}}","aud":"{{Audience}}","exp":{{Exp()}}}""";
        Assert.Equal(JwtSvidFailure.UnsupportedCritical, Validator().Validate(Craft("""{"alg":"ES256","kid":"es-key","crit":["x"]}""", claims), Audience).Failure);
        Assert.Equal(JwtSvidFailure.InvalidType, Validator().Validate(Craft("""{"alg":"ES256","kid":"es-key","typ":"at+jwt"}""", claims), Audience).Failure);
    }

    [Fact]
    public void Cache_ServesRepeatedTokens_ButStillChecksAudienceExpiryAndBundles()
    {
        var validator = Validator(cache: 16);
        var token = Mint();
        var first = validator.Validate(token, Audience);
        Assert.True(first.IsValid);
        Assert.Same(first, validator.Validate(token, Audience));
        Assert.Equal(JwtSvidFailure.WrongAudience, validator.Validate(token, "spiffe://example.org/other").Failure);
        _bundles.Set(new TrustBundle(Subject.TrustDomain, null, []));
        Assert.Equal(JwtSvidFailure.WrongTrustDomain, validator.Validate(token, Audience).Failure);
        _bundles.Set(new TrustBundle(Subject.TrustDomain, null, [_key.ToAuthority()]));
        Assert.True(validator.Validate(token, Audience).IsValid);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(JwtSvidFailure.Expired, validator.Validate(token, Audience).Failure);
    }

    [Fact]
    public void ToString_NeverContainsTheToken()
    {
        var svid = JwtSvid.Mint(Subject, [Audience], _time.Now.AddMinutes(5), _key);
        Assert.DoesNotContain(svid.Token, svid.ToString(), StringComparison.Ordinal);
        var failure = Validator().Validate(svid.Token, "x");
        Assert.DoesNotContain(svid.Token, failure.Message, StringComparison.Ordinal);
    }
}
