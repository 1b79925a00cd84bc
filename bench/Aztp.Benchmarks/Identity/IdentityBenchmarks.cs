using System.Security.Cryptography.X509Certificates;
using Aztp.Identity;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Aztp.Benchmarks.Identity;

/// <summary>
/// X.509-SVID chain validation per handshake and JWT-SVID validation per token, cold (cache off) and cached.
/// Single-threaded, so operations per second per core = 1 / mean. Runs in-process (short job: 3 warmups, 5
/// iterations) so no separate benchmark project is generated and built on a busy machine.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private sealed class ShortInProcessConfig : ManualConfig
    {
        public ShortInProcessConfig() =>
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance));
    }

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
    private System.Security.Cryptography.ECDsa _es256Public = null!;
    private System.Security.Cryptography.RSA _rs256Public = null!;
    private byte[] _esInput = null!;
    private byte[] _esSignature = null!;
    private byte[] _rsInput = null!;
    private byte[] _rsSignature = null!;
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
        _es256Public = (System.Security.Cryptography.ECDsa)_es256.ToAuthority().PublicKey;
        _rs256Public = (System.Security.Cryptography.RSA)_rs256.ToAuthority().PublicKey;
        (_esInput, _esSignature) = Split(_esToken);
        (_rsInput, _rsSignature) = Split(_rsToken);
        _jwtCached = new JwtSvidValidator(_bundles);
        if (!_x509Cached.Validate(_presentedLeaf).IsValid || !_jwtCached.Validate(_esToken, Audience).IsValid || !_jwtCached.Validate(_rsToken, Audience).IsValid)
        {
            throw new InvalidOperationException("benchmark fixtures do not validate");
        }
    }

    private static (byte[] Input, byte[] Signature) Split(string token)
    {
        var dot = token.LastIndexOf('.');
        return (System.Text.Encoding.ASCII.GetBytes(token[..dot]), System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(dot + 1)));
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

    // Baselines: the bare signature check on the same signing input, so the validator's own overhead is visible.
    [Benchmark(Description = "raw ECDSA P-256 verify (baseline)")]
    public bool RawEs256Verify() => _es256Public.VerifyData(_esInput, _esSignature, System.Security.Cryptography.HashAlgorithmName.SHA256);

    [Benchmark(Description = "raw RSA-2048 PKCS#1 verify (baseline)")]
    public bool RawRs256Verify() => _rs256Public.VerifyData(_rsInput, _rsSignature, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);

    [Benchmark(Description = "JWT-SVID ES256, cold")]
    public bool JwtEs256Cold() => _jwtCold.Validate(_esToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID RS256, cold")]
    public bool JwtRs256Cold() => _jwtCold.Validate(_rsToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID ES256, cached")]
    public bool JwtEs256Cached() => _jwtCached.Validate(_esToken, Audience).IsValid;

    [Benchmark(Description = "JWT-SVID RS256, cached")]
    public bool JwtRs256Cached() => _jwtCached.Validate(_rsToken, Audience).IsValid;
}
