using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Tests;

public sealed class X509SvidValidatorTests : IDisposable
{
    private const string Td = "example.org";
    private const string Id = "spiffe://example.org/finance";
    private readonly X509Certificate2 _root = TestPki.Root(Td);
    private readonly ManualTime _time = new(TestPki.Now);
    private readonly TrustBundleSet _bundles;

    public X509SvidValidatorTests()
    {
        _bundles = new TrustBundleSet(TestPki.Bundle(Td, _root));
    }

    public void Dispose() => _root.Dispose();

    private X509SvidValidator Validator(int cache = 0) => new(_bundles, new X509SvidValidatorOptions { TimeProvider = _time, CacheCapacity = cache });

    private X509SvidValidationResult ValidateLeaf(TestPki.Spec spec)
    {
        using var leaf = TestPki.Issue(_root, spec);
        return Validator().Validate(leaf);
    }

    [Fact]
    public void Validate_LeafSignedByRoot_ReturnsSpiffeId()
    {
        using var leaf = TestPki.Leaf(_root, Id);
        var result = Validator().Validate(leaf);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Id, result.SpiffeId!.ToString());
        Assert.Equal("none", result.Reason);
    }

    [Fact]
    public void Validate_ViaIntermediate_IsValid_OnlyWhenTheIntermediateIsPresented()
    {
        using var intermediate = TestPki.Intermediate(_root, Td);
        using var leaf = TestPki.Leaf(intermediate, Id);
        var result = Validator().Validate([leaf, intermediate]);
        Assert.True(result.IsValid, result.ToString());
        // The caller's certificates stay usable: the validator disposes only what X509Chain created.
        Assert.True(Validator().Validate([leaf, intermediate]).IsValid);
        Assert.NotEmpty(intermediate.RawData);
        Assert.Equal(X509SvidFailure.Untrusted, Validator().Validate(leaf).Failure);
    }

    [Fact]
    public void Validate_Federation_EachLeafChainsToItsOwnTrustDomainBundle()
    {
        using var partnerRoot = TestPki.Root("partner.net");
        _bundles.Set(TestPki.Bundle("partner.net", partnerRoot));
        using var partnerLeaf = TestPki.Leaf(partnerRoot, "spiffe://partner.net/payments");
        var result = Validator().Validate(partnerLeaf);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("partner.net", result.SpiffeId!.TrustDomain.Name);

        // A leaf claiming partner.net but issued by example.org's CA must not be accepted through example.org's bundle.
        using var forged = TestPki.Leaf(_root, "spiffe://partner.net/payments");
        Assert.Equal(X509SvidFailure.Untrusted, Validator().Validate(forged).Failure);
    }

    [Fact]
    public void Validate_TrustDomainOtherThanTheBundles_IsWrongTrustDomain()
    {
        using var leaf = TestPki.Leaf(_root, "spiffe://elsewhere.org/finance");
        var result = Validator().Validate(leaf);
        Assert.Equal(X509SvidFailure.WrongTrustDomain, result.Failure);
        Assert.Equal("spiffe://elsewhere.org/finance", result.SpiffeId!.ToString());
    }

    [Fact]
    public void Validate_UnknownCa_IsUntrusted()
    {
        using var otherRoot = TestPki.Root(Td);
        using var leaf = TestPki.Leaf(otherRoot, Id);
        var result = Validator().Validate(leaf);
        Assert.Equal(X509SvidFailure.Untrusted, result.Failure);
        Assert.Equal("untrusted", result.Reason);
    }

    [Fact]
    public void Validate_Expired_And_NotYetValid_UseTheInjectedClock()
    {
        using var leaf = TestPki.Leaf(_root, Id);
        var validator = Validator();
        _time.Now = TestPki.Now.AddDays(2);
        Assert.Equal(X509SvidFailure.Expired, validator.Validate(leaf).Failure);
        _time.Now = TestPki.Now.AddDays(-2);
        Assert.Equal(X509SvidFailure.NotYetValid, validator.Validate(leaf).Failure);
        _time.Now = TestPki.Now;
        Assert.True(validator.Validate(leaf).IsValid);
    }

    [Fact]
    public void Validate_ExpiredIntermediate_IsExpired()
    {
        using var intermediate = TestPki.Intermediate(_root, Td, new TestPki.Spec
        {
            Ca = true, KeyUsage = X509KeyUsageFlags.KeyCertSign, Eku = null, Uris = ["spiffe://" + Td],
            NotBefore = TestPki.Now.AddDays(-10), NotAfter = TestPki.Now.AddDays(-1),
        });
        using var leaf = TestPki.Issue(intermediate, TestPki.LeafSpec(Id) with { NotBefore = TestPki.Now.AddDays(-5), NotAfter = TestPki.Now.AddDays(-2) });
        _time.Now = TestPki.Now.AddDays(-3);
        Assert.True(Validator().Validate([leaf, intermediate]).IsValid);
        _time.Now = TestPki.Now;
        Assert.Equal(X509SvidFailure.Expired, Validator().Validate([leaf, intermediate]).Failure);
    }

    public static TheoryData<string, TestPki.Spec, X509SvidFailure> LeafCases => new()
    {
        { "leaf with CA flag", TestPki.LeafSpec(Id) with { Ca = true }, X509SvidFailure.LeafIsCa },
        { "keyCertSign on leaf", TestPki.LeafSpec(Id) with { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign }, X509SvidFailure.LeafKeyCertSign },
        { "cRLSign on leaf", TestPki.LeafSpec(Id) with { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign }, X509SvidFailure.LeafCrlSign },
        { "no digitalSignature", TestPki.LeafSpec(Id) with { KeyUsage = X509KeyUsageFlags.KeyEncipherment }, X509SvidFailure.NoDigitalSignature },
        { "no key usage", TestPki.LeafSpec(Id) with { KeyUsage = null }, X509SvidFailure.KeyUsageMissing },
        { "key usage not critical", TestPki.LeafSpec(Id) with { KeyUsageCritical = false }, X509SvidFailure.KeyUsageMissing },
        { "two URI SANs", TestPki.LeafSpec(Id) with { Uris = [Id, "spiffe://example.org/billing"] }, X509SvidFailure.MultipleUriSans },
        { "no URI SAN", TestPki.LeafSpec(Id) with { Uris = [] }, X509SvidFailure.NoUriSan },
        { "non-spiffe URI", TestPki.LeafSpec(Id) with { Uris = ["https://example.org/finance"] }, X509SvidFailure.InvalidSpiffeId },
        { "invalid SPIFFE ID", TestPki.LeafSpec(Id) with { Uris = ["spiffe://example.org/a/../b"] }, X509SvidFailure.InvalidSpiffeId },
        { "trust domain ID on leaf", TestPki.LeafSpec(Id) with { Uris = ["spiffe://example.org"] }, X509SvidFailure.NotAnSvid },
        { "EKU without clientAuth", TestPki.LeafSpec(Id) with { Eku = ["1.3.6.1.5.5.7.3.1"] }, X509SvidFailure.ExtendedKeyUsage },
        { "RSA 1024 key", TestPki.LeafSpec(Id) with { RsaBits = 1024 }, X509SvidFailure.UnsupportedKey },
    };

    [Theory]
    [MemberData(nameof(LeafCases))]
    public void Validate_LeafBreakingAMustOfTheStandard_IsRejectedWithItsReason(string name, TestPki.Spec spec, X509SvidFailure expected)
    {
        var result = ValidateLeaf(spec);
        Assert.False(result.IsValid, name);
        Assert.Equal(expected, result.Failure);
    }

    [Fact]
    public void Validate_LeafWithoutEku_IsAccepted_BecauseEkuIsOnlyRecommended()
    {
        Assert.True(ValidateLeaf(TestPki.LeafSpec(Id) with { Eku = null }).IsValid);
    }

    [Fact]
    public void Validate_RsaLeaf_IsAccepted()
    {
        Assert.True(ValidateLeaf(TestPki.LeafSpec(Id) with { RsaBits = 2048, KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment }).IsValid);
    }

    [Fact]
    public void Validate_IntermediateThatIsNotACa_IsRejected()
    {
        using var notCa = TestPki.Issue(_root, new TestPki.Spec
        {
            Cn = "not a ca", Ca = false, KeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, Eku = null,
            Uris = ["spiffe://" + Td],
        });
        using var leaf = TestPki.Leaf(notCa, Id);
        var result = Validator().Validate([leaf, notCa]);
        Assert.False(result.IsValid);
        Assert.Equal(X509SvidFailure.SignerNotCa, result.Failure);
    }

    [Fact]
    public void Validate_IntermediateWithoutKeyCertSign_IsRejected()
    {
        using var intermediate = TestPki.Intermediate(_root, Td, new TestPki.Spec
        {
            Ca = true, KeyUsage = X509KeyUsageFlags.CrlSign, Eku = null, Uris = ["spiffe://" + Td],
        });
        using var leaf = TestPki.Leaf(intermediate, Id);
        var result = Validator().Validate([leaf, intermediate]);
        Assert.False(result.IsValid);
        Assert.Equal(X509SvidFailure.SignerNoKeyCertSign, result.Failure);
    }

    [Fact]
    public void Validate_IntermediateWithPathInItsSpiffeId_IsRejected()
    {
        using var intermediate = TestPki.Intermediate(_root, Td, new TestPki.Spec
        {
            Ca = true, KeyUsage = X509KeyUsageFlags.KeyCertSign, Eku = null, Uris = ["spiffe://example.org/ca"],
        });
        using var leaf = TestPki.Leaf(intermediate, Id);
        Assert.Equal(X509SvidFailure.SignerIdHasPath, Validator().Validate([leaf, intermediate]).Failure);
    }

    [Fact]
    public void Validate_TooManyIntermediates_IsRefusedBeforePathBuilding()
    {
        using var intermediate = TestPki.Intermediate(_root, Td);
        using var leaf = TestPki.Leaf(intermediate, Id);
        var chain = new List<X509Certificate2> { leaf };
        chain.AddRange(Enumerable.Repeat(intermediate, X509SvidValidator.MaxIntermediates + 1));
        Assert.Equal(X509SvidFailure.Untrusted, Validator().Validate(chain).Failure);
    }

    [Fact]
    public void Validate_NoCertificate_IsTyped()
    {
        Assert.Equal(X509SvidFailure.NoCertificate, Validator().Validate((X509Certificate2?)null).Failure);
        Assert.Equal(X509SvidFailure.NoCertificate, Validator().Validate(Array.Empty<X509Certificate2>()).Failure);
    }

    [Fact]
    public void Validate_RootItselfPresentedAsLeaf_IsRejected()
    {
        Assert.False(Validator().Validate(_root).IsValid);
    }

    [Fact]
    public void Cache_HitsForTheSameChain_FromFreshCertificateObjects()
    {
        using var leaf = TestPki.Leaf(_root, Id);
        var validator = Validator(cache: 16);
        var first = validator.Validate(leaf);
        Assert.True(first.IsValid);
        Assert.Equal(1, validator.CachedCount);
        using var copy = X509CertificateLoader.LoadCertificate(leaf.RawData);
        Assert.Same(first, validator.Validate(copy));
    }

    [Fact]
    public void Cache_HonoursExpiry()
    {
        using var leaf = TestPki.Leaf(_root, Id);
        var validator = Validator(cache: 16);
        Assert.True(validator.Validate(leaf).IsValid);
        _time.Now = TestPki.Now.AddDays(2);
        Assert.Equal(X509SvidFailure.Expired, validator.Validate(leaf).Failure);
    }

    [Fact]
    public void Cache_HonoursBundleChanges()
    {
        using var leaf = TestPki.Leaf(_root, Id);
        var validator = Validator(cache: 16);
        Assert.True(validator.Validate(leaf).IsValid);
        using var newRoot = TestPki.Root(Td);
        _bundles.Set(TestPki.Bundle(Td, newRoot));
        Assert.Equal(X509SvidFailure.Untrusted, validator.Validate(leaf).Failure);
    }

    [Fact]
    public void Cache_DoesNotConfuseADifferentIntermediateList()
    {
        using var intermediate = TestPki.Intermediate(_root, Td);
        using var leaf = TestPki.Leaf(intermediate, Id);
        var validator = Validator(cache: 16);
        Assert.True(validator.Validate([leaf, intermediate]).IsValid);
        Assert.Equal(X509SvidFailure.Untrusted, validator.Validate(leaf).Failure);
    }

    [Fact]
    public void Cache_IsBounded()
    {
        var validator = Validator(cache: 4);
        for (var i = 0; i < 10; i++)
        {
            using var leaf = TestPki.Leaf(_root, Id);
            Assert.True(validator.Validate(leaf).IsValid);
            Assert.InRange(validator.CachedCount, 1, 4);
        }
    }
}
