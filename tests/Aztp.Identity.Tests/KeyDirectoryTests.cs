using System.Collections.Concurrent;
using Aztp.Core;

namespace Aztp.Identity.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyDirectoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aztp-keys-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<SecurityEvent> _events = new();
    private readonly SecurityMonitor _monitor;

    public KeyDirectoryTests()
    {
        _monitor = new SecurityMonitor("finance", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, _) =>
            {
                _events.Enqueue(e);
                return ValueTask.CompletedTask;
            },
        });
    }

    public void Dispose()
    {
        _monitor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private KeyDirectoryOptions Options(string agent = "finance", bool create = true, TimeProvider? time = null) => new()
    {
        Directory = _dir,
        TrustDomain = "example.org",
        AgentName = agent,
        CreateIfMissing = create,
        Monitor = _monitor,
        TimeProvider = time ?? TimeProvider.System,
    };

    [Fact]
    public async Task Open_InDevelopmentMode_CreatesTheLayout_WithPrivateKeys_AndAValidSvid()
    {
        await using var source = await KeyDirectorySource.OpenAsync(Options());
        Assert.True(File.Exists(Path.Combine(_dir, "bundle.pem")));
        Assert.True(File.Exists(Path.Combine(_dir, "jwt-bundle.json")));
        Assert.True(Directory.Exists(Path.Combine(_dir, "federation")));
        foreach (var key in new[] { "finance/key.pem", "ca-key.pem", "jwt-key.pem" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, key)));
        }
        var svid = source.GetX509Svid();
        Assert.Equal("spiffe://example.org/finance", svid.Id.ToString());
        Assert.Equal("EC P-256", svid.KeyType);
        var result = new X509SvidValidator(source).Validate(svid.Certificate, svid.Intermediates);
        Assert.True(result.IsValid, result.ToString());

        await _monitor.FlushAsync();
        var setup = Assert.Single(_events, e => e.Data.Action == EventActions.SetupComplete);
        Assert.Equal("spiffe://example.org/finance", setup.Data["spiffeId"].AsString());
    }

    [Fact]
    public async Task Open_WithoutDirectory_OutsideDevelopmentMode_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<IdentityLoadException>(() => KeyDirectorySource.OpenAsync(Options(create: false)));
        Assert.Equal(IdentityLoadError.NotFound, error.Error);
        Assert.Contains("aztp keys init", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)]
    public async Task Open_WithGroupOrWorldReadableKey_IsRefused(UnixFileMode mode)
    {
        KeyDirectory.Initialize(_dir, TrustDomain.Parse("example.org"), ["finance"]);
        var keyPath = Path.Combine(_dir, "finance", "key.pem");
        File.SetUnixFileMode(keyPath, mode);
        var error = await Assert.ThrowsAsync<IdentityLoadException>(() => KeyDirectorySource.OpenAsync(Options(create: false)));
        Assert.Equal(IdentityLoadError.InsecureKeyPermissions, error.Error);
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_RefusesToOverwrite_AndRejectsBadAgentNames()
    {
        KeyDirectory.Initialize(_dir, TrustDomain.Parse("example.org"), ["a"]);
        Assert.Throws<InvalidOperationException>(() => KeyDirectory.Initialize(_dir, TrustDomain.Parse("example.org"), ["b"]));
        Assert.Throws<SpiffeIdFormatException>(() => KeyDirectory.Initialize(_dir + "-x", TrustDomain.Parse("example.org"), ["a/b"]));
        Assert.Throws<SpiffeIdFormatException>(() => KeyDirectory.Initialize(_dir + "-x", TrustDomain.Parse("example.org"), [".."]));
        Assert.False(Directory.Exists(_dir + "-x"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rotation_OnDisk_IsPickedUpWithoutRestart_AndRaisesRotated(bool polling)
    {
        var options = Options();
        options.UsePolling = polling;
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        await using var source = await KeyDirectorySource.OpenAsync(options);
        var before = source.GetX509Svid();
        var changed = new TaskCompletionSource<X509Svid>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SvidChanged += (_, e) => changed.TrySetResult(e.Svid);

        var (serial, _) = KeyDirectory.IssueSvid(_dir, "finance");

        var rotated = await changed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(serial, rotated.SerialNumber);
        Assert.NotEqual(before.SerialNumber, rotated.SerialNumber);
        Assert.Same(rotated, source.GetX509Svid());
        await _monitor.FlushAsync();
        var evt = Assert.Single(_events, e => e.Data.Action == EventActions.Rotated);
        Assert.Equal(serial, evt.Data["serial"].AsString());
    }

    [Fact]
    public async Task Reload_WithBrokenFiles_KeepsTheLastGoodSvid()
    {
        await using var source = await KeyDirectorySource.OpenAsync(Options());
        var good = source.GetX509Svid();
        await File.WriteAllTextAsync(Path.Combine(_dir, "finance", "svid.pem"), "garbage");
        IdentityLoadException? failure = null;
        source.ReloadFailed += (_, e) => failure = e;
        Assert.False(await source.ReloadAsync());
        Assert.NotNull(failure);
        Assert.Same(good, source.GetX509Svid());
    }

    [Fact]
    public async Task ExpiryCheck_RaisesExpiringOnce_ThenExpired()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var options = Options(time: time);
        options.SvidLifetime = TimeSpan.FromHours(2);
        options.ExpiringThreshold = TimeSpan.FromMinutes(30);
        options.WatchForChanges = false;
        await using var source = await KeyDirectorySource.OpenAsync(options);
        Assert.True(await source.CheckExpiryAsync() > TimeSpan.FromMinutes(30));
        time.Advance(TimeSpan.FromMinutes(100));
        await source.CheckExpiryAsync();
        await source.CheckExpiryAsync();
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.True(await source.CheckExpiryAsync() < TimeSpan.Zero);
        await _monitor.FlushAsync();
        Assert.Single(_events, e => e.Data.Action == EventActions.Expiring);
        Assert.Single(_events, e => e.Data.Action == EventActions.Expired);
    }

    [Fact]
    public async Task FederationFiles_AddBundlesForOtherTrustDomains()
    {
        KeyDirectory.Initialize(_dir, TrustDomain.Parse("example.org"), ["finance"]);
        using var partner = DevCertificateAuthority.Create(TrustDomain.Parse("partner.net"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "federation", "partner.net.pem"), partner.ExportCertificatePem());
        await using var source = await KeyDirectorySource.OpenAsync(Options(create: false));
        using var partnerSvid = partner.IssueSvid(SpiffeId.Parse("spiffe://partner.net/payments"));
        var result = new X509SvidValidator(source).Validate(partnerSvid.Certificate);
        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public async Task JwtSvids_MintedByTheSource_ValidateAgainstItsBundle()
    {
        await using var source = await KeyDirectorySource.OpenAsync(Options());
        var svid = await source.FetchJwtSvidAsync(["spiffe://example.org/billing"]);
        var result = new JwtSvidValidator(source).Validate(svid.Token, "spiffe://example.org/billing");
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("spiffe://example.org/finance", result.SpiffeId!.ToString());
    }

    [Fact]
    public async Task PeerVerifier_EmitsVerifiedAndFailed_WithoutCertificateOrTokenContent()
    {
        await using var source = await KeyDirectorySource.OpenAsync(Options());
        var verifier = new PeerIdentityVerifier(source, _monitor);
        var svid = source.GetX509Svid();
        var ok = await verifier.VerifyX509Async(svid.Certificate, svid.Intermediates, SpiffeAuthorizer.MemberOf(source.TrustDomain), "10.0.0.1");
        Assert.True(ok.IsVerified);
        var denied = await verifier.VerifyX509Async(svid.Certificate, svid.Intermediates, SpiffeAuthorizer.Id("spiffe://example.org/other"));
        Assert.Equal(PeerVerificationResult.NotAuthorizedReason, denied.Reason);
        var jwt = await source.FetchJwtSvidAsync(["aud"]);
        var wrong = await verifier.VerifyJwtAsync(jwt.Token, "other-aud", SpiffeAuthorizer.Any());
        Assert.Equal("wrong_audience", wrong.Reason);

        await _monitor.FlushAsync();
        var identity = _events.Where(e => e.Type == SecurityEventType.Identity && e.Data.Action is EventActions.Verified or EventActions.Failed).ToList();
        Assert.Equal(3, identity.Count);
        var pemBody = Convert.ToBase64String(svid.Certificate.RawData)[..40];
        foreach (var e in identity)
        {
            var json = e.ToString();
            Assert.DoesNotContain(pemBody, json, StringComparison.Ordinal);
            Assert.DoesNotContain(jwt.Token, json, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void X509Svid_Load_RefusesAKeyThatIsNotTheCertificates()
    {
        KeyDirectory.Initialize(_dir, TrustDomain.Parse("example.org"), ["a", "b"]);
        var error = Assert.Throws<IdentityLoadException>(() => X509Svid.Load(Path.Combine(_dir, "a", "svid.pem"), Path.Combine(_dir, "b", "key.pem")));
        Assert.Equal(IdentityLoadError.KeyMismatch, error.Error);
    }
}
