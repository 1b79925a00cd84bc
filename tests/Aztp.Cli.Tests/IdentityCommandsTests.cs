using System.Text.Json;
using Aztp.Identity;

namespace Aztp.Cli.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class IdentityCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aztp-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static async Task<(int Code, JsonElement Json, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await AztpCommand.InvokeAsync(args, stdout, stderr);
        var text = stdout.ToString().Trim();
        var json = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (code, json, stderr.ToString());
    }

    private string Keys => Path.Combine(_dir, "keys");

    private async Task Init()
    {
        var (code, json, _) = await Run("keys", "init", "--trust-domain", "example.org", "--dir", Keys, "--agent", "finance", "--agent", "billing");
        Assert.Equal(0, code);
        Assert.True(json.GetProperty("created").GetBoolean());
    }

    [Fact]
    public async Task KeysInit_CreatesCaAndSvids_AndRefusesToOverwrite()
    {
        await Init();
        Assert.True(File.Exists(Path.Combine(Keys, "bundle.pem")));
        Assert.True(File.Exists(Path.Combine(Keys, "billing", "svid.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Keys, "billing", "key.pem")));
        var (code, json, _) = await Run("keys", "init", "--trust-domain", "example.org", "--dir", Keys, "--agent", "x");
        Assert.Equal(1, code);
        Assert.False(json.GetProperty("created").GetBoolean());
    }

    [Theory]
    [InlineData("keys init --dir d --agent a")]
    [InlineData("keys init --trust-domain Bad.Org --dir d --agent a")]
    [InlineData("keys init --trust-domain example.org --dir d --agent a/b")]
    [InlineData("id parse")]
    [InlineData("svid verify --svid x.pem")]
    [InlineData("svid verify --svid x.pem --bundle nope")]
    [InlineData("svid verify --svid x.pem --bundle example.org=b.pem --at yesterday")]
    [InlineData("svid verify --svid x.pem --bundle example.org=b.pem --bundle-dir d --trust-domain example.org")]
    [InlineData("svid verify --svid x.pem --bundle example.org=a.pem --bundle example.org=b.pem")]
    [InlineData("svid verify --svid x.pem --bundle-dir d")]
    [InlineData("jwt verify --token t --bundle example.org=b.json")]
    [InlineData("jwt verify --token t --audience a")]
    [InlineData("jwt verify --token t --audience a --bundle =b.json")]
    [InlineData("jwt verify --token t --audience a --bundle-dir d --trust-domain Bad..Org")]
    [InlineData("jwt verify --token t --audience a --bundle example.org=b.json --at soon")]
    [InlineData("jwt mint --subject spiffe://example.org/a --audience x")]
    [InlineData("svid frobnicate")]
    public async Task UsageErrors_ExitWith2(string commandLine)
    {
        var (code, _, stderr) = await Run(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.NotEmpty(stderr);
    }

    [Theory]
    [InlineData("svid", "verify", "--svid", "x.pem")]
    [InlineData("jwt", "verify", "--token", "t", "--audience", "a")]
    public async Task UnreadableBundle_IsInvalidBundle_AndExits1(params string[] command)
    {
        var missing = Path.Combine(Path.GetTempPath(), "aztp-missing-" + Guid.NewGuid().ToString("N"), "bundle.pem");
        var (code, json, _) = await Run([.. command, "--bundle", "example.org=" + missing]);
        Assert.Equal(1, code);
        Assert.False(json.GetProperty("valid").GetBoolean());
        Assert.Equal("invalid_bundle", json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task IdParse_Valid_PrintsParts_AndExits0()
    {
        var (code, json, _) = await Run("id", "parse", "spiffe://example.org/ns/agent");
        Assert.Equal(0, code);
        Assert.True(json.GetProperty("valid").GetBoolean());
        Assert.Equal("example.org", json.GetProperty("trustDomain").GetString());
        Assert.Equal("/ns/agent", json.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("reason").ValueKind);
    }

    [Theory]
    [InlineData("spiffe://example.org/a/../b", "dot_segment")]
    [InlineData("spiffe://example.org:80/a", "port")]
    [InlineData("-spiffe://x/y", "wrong_scheme")]
    [InlineData("spiffe://example.org/", "trailing_slash")]
    public async Task IdParse_Invalid_NamesTheRule_AndExits1(string input, string reason)
    {
        var (code, json, _) = await Run("id", "parse", "--", input);
        Assert.Equal(1, code);
        Assert.False(json.GetProperty("valid").GetBoolean());
        Assert.Equal(reason, json.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("trustDomain").ValueKind);
    }

    [Fact]
    public async Task SvidInspect_ShowsIdKeyTypeValidityAndChain()
    {
        await Init();
        var (code, json, _) = await Run("svid", "inspect", Path.Combine(Keys, "finance", "svid.pem"));
        Assert.Equal(0, code);
        Assert.Equal("spiffe://example.org/finance", json.GetProperty("spiffeId").GetString());
        Assert.Equal("EC P-256", json.GetProperty("keyType").GetString());
        Assert.True(DateTimeOffset.Parse(json.GetProperty("notAfter").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);
        Assert.Equal(1, json.GetProperty("chain").GetArrayLength());

        var (caCode, ca, _) = await Run("svid", "inspect", Path.Combine(Keys, "bundle.pem"));
        Assert.Equal(0, caCode); // the CA has the trust domain ID as its URI SAN
        Assert.True(ca.GetProperty("chain")[0].GetProperty("isCa").GetBoolean());

        var (missing, _, _) = await Run("svid", "inspect", Path.Combine(_dir, "nope.pem"));
        Assert.Equal(1, missing);
    }

    [Fact]
    public async Task SvidVerify_WithPemBundle_SpiffeJsonBundle_AndKeyDirectory_IsValid()
    {
        await Init();
        var svid = Path.Combine(Keys, "finance", "svid.pem");
        var (pemCode, pem, _) = await Run("svid", "verify", "--svid", svid, "--key", Path.Combine(Keys, "finance", "key.pem"), "--bundle", "example.org=" + Path.Combine(Keys, "bundle.pem"));
        Assert.Equal(0, pemCode);
        Assert.True(pem.GetProperty("valid").GetBoolean());
        Assert.Equal("spiffe://example.org/finance", pem.GetProperty("spiffeId").GetString());

        var jsonBundle = Path.Combine(_dir, "bundle.json");
        await File.WriteAllTextAsync(jsonBundle, TrustBundle.Load(TrustDomain.Parse("example.org"), Path.Combine(Keys, "bundle.pem")).ToSpiffeBundleJson());
        var (jsonCode, _, _) = await Run("svid", "verify", "--svid", svid, "--bundle", "example.org=" + jsonBundle);
        Assert.Equal(0, jsonCode);

        var (dirCode, _, _) = await Run("svid", "verify", "--svid", svid, "--bundle-dir", Keys, "--trust-domain", "example.org");
        Assert.Equal(0, dirCode);
    }

    [Fact]
    public async Task SvidVerify_Invalid_ReportsReason_AndExits1()
    {
        await Init();
        var svid = Path.Combine(Keys, "finance", "svid.pem");
        var bundle = "example.org=" + Path.Combine(Keys, "bundle.pem");

        var (expiredCode, expired, _) = await Run("svid", "verify", "--svid", svid, "--bundle", bundle, "--at", DateTimeOffset.UtcNow.AddDays(3).ToString("O"));
        Assert.Equal(1, expiredCode);
        Assert.Equal("expired", expired.GetProperty("reason").GetString());

        var (wrongKeyCode, wrongKey, _) = await Run("svid", "verify", "--svid", svid, "--key", Path.Combine(Keys, "billing", "key.pem"), "--bundle", bundle);
        Assert.Equal(1, wrongKeyCode);
        Assert.Equal("key_mismatch", wrongKey.GetProperty("reason").GetString());

        using var other = DevCertificateAuthority.Create(TrustDomain.Parse("example.org"));
        var otherBundle = Path.Combine(_dir, "other.pem");
        await File.WriteAllTextAsync(otherBundle, other.ExportCertificatePem());
        var (untrustedCode, untrusted, _) = await Run("svid", "verify", "--svid", svid, "--bundle", "example.org=" + otherBundle);
        Assert.Equal(1, untrustedCode);
        Assert.Equal("untrusted", untrusted.GetProperty("reason").GetString());

        var (wrongTdCode, wrongTd, _) = await Run("svid", "verify", "--svid", svid, "--bundle", "partner.net=" + Path.Combine(Keys, "bundle.pem"));
        Assert.Equal(1, wrongTdCode);
        Assert.Equal("wrong_trust_domain", wrongTd.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task JwtMintThenVerify_RoundTrips_AndWrongAudienceExits1()
    {
        await Init();
        var (mintCode, mint, _) = await Run("jwt", "mint", "--dir", Keys, "--subject", "spiffe://example.org/finance", "--audience", "spiffe://example.org/billing", "--ttl", "120");
        Assert.Equal(0, mintCode);
        var token = mint.GetProperty("token").GetString()!;
        Assert.Equal("ES256", mint.GetProperty("alg").GetString());
        var bundle = "example.org=" + Path.Combine(Keys, "jwt-bundle.json");

        var (okCode, ok, _) = await Run("jwt", "verify", "--token", token, "--audience", "spiffe://example.org/billing", "--bundle", bundle);
        Assert.Equal(0, okCode);
        Assert.Equal("spiffe://example.org/finance", ok.GetProperty("spiffeId").GetString());

        var tokenFile = Path.Combine(_dir, "token.txt");
        await File.WriteAllTextAsync(tokenFile, token + "\n");
        var (fileCode, _, _) = await Run("jwt", "verify", "--token", "@" + tokenFile, "--audience", "spiffe://example.org/billing", "--bundle-dir", Keys, "--trust-domain", "example.org");
        Assert.Equal(0, fileCode);

        var (badCode, bad, _) = await Run("jwt", "verify", "--token", token, "--audience", "spiffe://example.org/other", "--bundle", bundle);
        Assert.Equal(1, badCode);
        Assert.False(bad.GetProperty("valid").GetBoolean());
        Assert.Equal("wrong_audience", bad.GetProperty("reason").GetString());

        var (expiredCode, expired, _) = await Run("jwt", "verify", "--token", token, "--audience", "spiffe://example.org/billing", "--bundle", bundle, "--at", DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Equal(1, expiredCode);
        Assert.Equal("expired", expired.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task JwtMint_WithRsaKeyAndPs256_VerifiesAgainstABundleOfThatKey()
    {
        Directory.CreateDirectory(_dir);
        using var key = JwtSigningKey.Generate(JwtAlgorithm.PS256, "rsa-1");
        var keyFile = Path.Combine(_dir, "rsa.pem");
        KeyDirectory.WritePrivate(keyFile, key.ExportPrivateKeyPem());
        var bundleFile = Path.Combine(_dir, "jwt.json");
        await File.WriteAllTextAsync(bundleFile, new TrustBundle(TrustDomain.Parse("example.org"), null, [key.ToAuthority()]).ToSpiffeBundleJson());
        var (mintCode, mint, _) = await Run("jwt", "mint", "--key", keyFile, "--alg", "PS256", "--kid", "rsa-1", "--subject", "spiffe://example.org/a", "--audience", "b");
        Assert.Equal(0, mintCode);
        Assert.Equal("PS256", mint.GetProperty("alg").GetString());
        var (code, _, _) = await Run("jwt", "verify", "--token", mint.GetProperty("token").GetString()!, "--audience", "b", "--bundle", "example.org=" + bundleFile);
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task JwtVerify_NoneAlgorithm_IsInvalid()
    {
        await Init();
        static string B64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = B64("""{"alg":"none"}""") + "." + B64("""{"sub":"spiffe://example.org/a","aud":"b","exp":9999999999}""") + ".AA";
        var (code, json, _) = await Run("jwt", "verify", "--token", token, "--audience", "b", "--bundle-dir", Keys, "--trust-domain", "example.org");
        Assert.Equal(1, code);
        Assert.Equal("unsupported_algorithm", json.GetProperty("reason").GetString());
    }
}
