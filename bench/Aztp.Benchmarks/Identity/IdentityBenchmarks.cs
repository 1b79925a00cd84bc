using System.Security.Cryptography.X509Certificates;
using Aztp.Identity;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Identity;

/// <summary>
/// X.509-SVID chain validation per handshake and JWT-SVID validation per token, cold (cache off) and cached.
/// Single-threaded, so operations per second per core = 1 / mean.
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 5)]
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private const string Audience = "spiffe://example.org/finance";
    private DevCertificateAuthority _ca = null!;
    private X509Svid _svid = null!;
    private X509Certificate2 _presentedLeaf = null!;
    private TrustBundleSet _bundles = null!;
    private X509SvidValidator _x509Cold = null!;
    private X509SvidValidator _x509Cached = null!;
    private JwtSigningKey _es256 = null!;
    private JwtSigningKey _rs256 = null!;
    private string _esToken = null!;
    private string _rsToken = null!;
    private JwtSvidValidator _jwtCold = null!;
    private JwtSvidValidator _jwtCached = null!;

    [GlobalSetup]
    public void Setup()
    {
        var td = TrustDomain.Parse("example.org");
        _ca = DevCertificateAuthority.Create(td);
        _svid = _ca.IssueSvid(td.Id("billing"));
        // A handshake hands the validator a fresh certificate object with the same bytes.
        _presentedLeaf = X509CertificateLoader.LoadCertificate(_svid.Certificate.RawData);
        _es256 = JwtSigningKey.Generate(JwtAlgorithm.ES256, "es");
        _rs256 = JwtSigningKey.Generate(JwtAlgorithm.RS256, "rs");
        _bundles = new TrustBundleSet(new TrustBundle(td, [_ca.ToBundle().X509Authorities[0]], [_es256.ToAuthority(), _rs256.ToAuthority()]));
        _x509Cold = new X509SvidValidator(_bundles, new X509SvidValidatorOptions { CacheCapacity = 0 });
        _x509Cached = new X509SvidValidator(_bundles);
        var expiry = DateTimeOffset.UtcNow.AddHours(1);
        _esToken = JwtSvid.Mint(td.Id("billing"), [Audience], expiry, _es256).Token;
        _rsToken = JwtSvid.Mint(td.Id("billing"), [Audience], expiry, _rs256).Token;
        _jwtCold = new JwtSvidValidator(_bundles, new JwtSvidValidatorOptions { CacheCapacity = 0 });
        _jwtCached = new JwtSvidValidator(_bundles);
        if (!_x509Cached.Validate(_presentedLeaf).IsValid || !_jwtCached.Validate(_esToken, Audience).IsValid || !_jwtCached.Validate(_rsToken, Audience).IsValid)
        {
            throw new InvalidOperationException("benchmark fixtures do not validate");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _presentedLeaf.Dispose();
        _svid.Dispose();
        _ca.Dispose();
        _es256.Dispose();
        _rs256.Dispose();
    }

    [Benchmark(Baseline = true, Description = "X509-SVID chain, cold")]
    public bool X509Cold() => _x509Cold.Validate(_presentedLeaf).IsValid;

    [Benchmark(Description = "X509-SVID chain, cached")]
    public bool X509Cached() => _x509Cached.Validate(_presentedLeaf).IsValid;

    [Benchmark(Description = "JWT-SVID ES256, cold")]
    public bool JwtEs256Cold() => _jwtCold.Validate(_esToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID RS256, cold")]
    public bool JwtRs256Cold() => _jwtCold.Validate(_rsToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID ES256, cached")]
    public bool JwtEs256Cached() => _jwtCached.Validate(_esToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID RS256, cached")]
    public bool JwtRs256Cached() => _jwtCached.Validate(_rsToken, Audience).IsValid;
}
