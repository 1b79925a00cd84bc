using System.Text.Json.Nodes;

namespace Aztp.Identity.Tests;

public class TrustBundleTests
{
    private static readonly TrustDomain Td = TrustDomain.Parse("example.org");

    [Fact]
    public void FromPem_ReadsEveryCertificate()
    {
        using var a = TestPki.Root("example.org");
        using var b = TestPki.Root("example.org");
        var bundle = TrustBundle.FromPem(Td, a.ExportCertificatePem() + "\n" + b.ExportCertificatePem());
        Assert.Equal(2, bundle.X509Authorities.Count);
        Assert.Equal(a.RawData, bundle.X509Authorities[0].RawData);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not pem")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void FromPem_WithoutAValidCertificate_IsInvalidBundle(string pem)
    {
        Assert.Equal(IdentityLoadError.InvalidBundle, Assert.Throws<IdentityLoadException>(() => TrustBundle.FromPem(Td, pem)).Error);
    }

    [Fact]
    public void SpiffeBundleJson_RoundTripsX509AndJwtAuthorities_SequenceAndRefreshHint()
    {
        using var root = TestPki.Root("example.org");
        using var es = JwtSigningKey.Generate(JwtAlgorithm.ES256, "k-es");
        using var rs = JwtSigningKey.Generate(JwtAlgorithm.RS256, "k-rs");
        var bundle = new TrustBundle(Td, [root], [es.ToAuthority(), rs.ToAuthority()], 42, TimeSpan.FromMinutes(5));
        var json = bundle.ToSpiffeBundleJson();
        var keys = JsonNode.Parse(json)!["keys"]!.AsArray();
        Assert.Equal("x509-svid", keys[0]!["use"]!.GetValue<string>());
        Assert.Null(keys[0]!["kid"]); // X509-SVID §6.1: kid MUST NOT be set.
        Assert.Equal("jwt-svid", keys[1]!["use"]!.GetValue<string>());

        var back = TrustBundle.Parse(Td, json);
        Assert.Equal(root.RawData, back.X509Authorities.Single().RawData);
        Assert.Equal(["k-es", "k-rs"], back.JwtAuthorities.Keys.Order());
        Assert.Equal(42, back.SequenceNumber);
        Assert.Equal(TimeSpan.FromMinutes(5), back.RefreshHint);
    }

    [Fact]
    public void SpiffeBundleJson_IgnoresUnknownUsesAndX509EntriesWithoutX5c()
    {
        const string json = """
            { "keys": [
                { "use": "x509-svid", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA" },
                { "use": "something-else", "kty": "oct", "k": "AA" }
              ], "spiffe_sequence": 1 }
            """;
        var bundle = TrustBundle.FromSpiffeBundleJson(Td, json);
        Assert.Empty(bundle.X509Authorities);
        Assert.Empty(bundle.JwtAuthorities);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{ "keys": [ { "use": "jwt-svid", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA" } ] }""")]
    [InlineData("""{ "keys": [ { "use": "jwt-svid", "kid": "a", "kty": "oct", "k": "AA" } ] }""")]
    [InlineData("""{ "keys": [ { "use": "x509-svid", "x5c": [ "!!!" ] } ] }""")]
    [InlineData("""{ "keys": [], "spiffe_sequence": "one" }""")]
    public void SpiffeBundleJson_Malformed_IsInvalidBundle(string json)
    {
        Assert.Equal(IdentityLoadError.InvalidBundle, Assert.Throws<IdentityLoadException>(() => TrustBundle.FromSpiffeBundleJson(Td, json)).Error);
    }

    [Fact]
    public void SpiffeBundleJson_DuplicateKid_IsInvalidBundle()
    {
        using var key = JwtSigningKey.Generate(JwtAlgorithm.ES256, "same");
        var jwk = key.ToAuthority().ToJwk().ToJsonString();
        var json = $$"""{ "keys": [ {{jwk}}, {{jwk}} ] }""";
        Assert.Equal(IdentityLoadError.InvalidBundle, Assert.Throws<IdentityLoadException>(() => TrustBundle.FromSpiffeBundleJson(Td, json)).Error);
    }

    [Fact]
    public void TrustBundleSet_HoldsSeveralTrustDomains_AndBumpsGenerationOnChange()
    {
        using var a = TestPki.Root("a.org");
        using var b = TestPki.Root("b.org");
        var set = new TrustBundleSet(TestPki.Bundle("a.org", a));
        var raised = 0;
        set.BundlesChanged += (_, _) => raised++;
        var generation = set.Generation;
        set.Set(TestPki.Bundle("b.org", b));
        Assert.True(set.TryGetBundle(TrustDomain.Parse("b.org"), out var got));
        Assert.Equal(b.RawData, got.X509Authorities[0].RawData);
        Assert.True(set.Remove(TrustDomain.Parse("a.org")));
        Assert.False(set.TryGetBundle(TrustDomain.Parse("a.org"), out _));
        Assert.Equal(2, raised);
        Assert.Equal(generation + 2, set.Generation);
        Assert.Throws<ArgumentException>(() => new TrustBundleSet(TestPki.Bundle("a.org", a), TestPki.Bundle("a.org", a)));
    }
}
