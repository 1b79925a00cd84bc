using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Aztp.Identity;

namespace Aztp.Cli;

/// <summary>
/// The identity commands: <c>keys init</c>, <c>id parse</c>, <c>svid inspect</c>, <c>svid verify</c>, <c>jwt mint</c> and
/// <c>jwt verify</c>. Each writes one JSON object to stdout. Exit codes: 0 valid/done, 1 invalid/failed, 2 usage error.
/// </summary>
internal static class IdentityCommands
{
    private const int Ok = 0;
    private const int Invalid = 1;
    private const int Usage = 2;

    /// <summary>Adds the identity commands to the root command.</summary>
    public static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        root.Add(Keys(stdout, stderr));
        root.Add(Id(stdout));
        root.Add(Svid(stdout, stderr));
        root.Add(Jwt(stdout, stderr));
    }

    private static Command Keys(TextWriter stdout, TextWriter stderr)
    {
        var trustDomain = new Option<string>("--trust-domain") { Description = "The trust domain, for example company.org.", Required = true };
        var dir = new Option<string>("--dir") { Description = "The key directory to create.", Required = true };
        var agents = new Option<string[]>("--agent") { Description = "An agent to issue an SVID for (repeatable).", Required = true, Arity = ArgumentArity.OneOrMore };
        var lifetime = new Option<int?>("--svid-hours") { Description = "SVID lifetime in hours (default 24)." };
        var init = new Command("init", "Create a key directory: a development CA, an SVID per agent, and a JWT signing key.") { trustDomain, dir, agents, lifetime };
        init.SetAction(async (parse, ct) =>
        {
            if (!TrustDomain.TryParse(parse.GetValue(trustDomain), out var td, out var rule))
            {
                return await UsageAsync(stderr, $"--trust-domain: {SpiffeId.DescribeRule(rule)}.").ConfigureAwait(false);
            }
            var names = parse.GetValue(agents) ?? [];
            var hours = parse.GetValue(lifetime);
            if (hours is <= 0)
            {
                return await UsageAsync(stderr, "--svid-hours must be positive.").ConfigureAwait(false);
            }
            foreach (var name in names)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || !SpiffeId.TryParse(td.IdString + "/" + name, out _, out var agentRule))
                {
                    return await UsageAsync(stderr, $"--agent '{name}' is not a valid SPIFFE path segment.").ConfigureAwait(false);
                }
                _ = agentRule;
            }
            var path = parse.GetValue(dir)!;
            try
            {
                KeyDirectory.Initialize(path, td, names, hours is null ? null : TimeSpan.FromHours(hours.Value));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return await WriteAsync(stdout, w =>
                {
                    w.WriteBoolean("created", false);
                    w.WriteString("error", e.Message);
                }, Invalid, ct).ConfigureAwait(false);
            }
            return await WriteAsync(stdout, w =>
            {
                w.WriteBoolean("created", true);
                w.WriteString("trustDomain", td.Name);
                w.WriteString("dir", Path.GetFullPath(path));
                w.WriteString("bundle", Path.Combine(Path.GetFullPath(path), KeyDirectory.BundleFile));
                w.WriteStartArray("agents");
                foreach (var name in names.Distinct(StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("spiffeId", td.IdString + "/" + name);
                    w.WriteString("svid", Path.Combine(Path.GetFullPath(path), name, KeyDirectory.SvidFile));
                    w.WriteString("key", Path.Combine(Path.GetFullPath(path), name, KeyDirectory.KeyFile));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, Ok, ct).ConfigureAwait(false);
        });
        return new Command("keys", "Manage a development key directory.") { init };
    }

    private static Command Id(TextWriter stdout)
    {
        var value = new Argument<string>("id") { Description = "The SPIFFE ID to check (use -- before an ID starting with '-')." };
        var parseCommand = new Command("parse", "Check a SPIFFE ID against the SPIFFE-ID standard.") { value };
        parseCommand.SetAction(async (parse, ct) =>
        {
            var input = parse.GetValue(value) ?? string.Empty;
            var valid = SpiffeId.TryParse(input, out var id, out var rule);
            return await WriteAsync(stdout, w =>
            {
                w.WriteBoolean("valid", valid);
                WriteNullable(w, "trustDomain", id?.TrustDomain.Name);
                WriteNullable(w, "path", id?.Path);
                if (valid)
                {
                    w.WriteNull("reason");
                }
                else
                {
                    w.WriteString("reason", SpiffeId.RuleCode(rule));
                    w.WriteString("message", SpiffeId.DescribeRule(rule));
                }
            }, valid ? Ok : Invalid, ct).ConfigureAwait(false);
        });
        return new Command("id", "SPIFFE ID tools.") { parseCommand };
    }

    private static Command Svid(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "PEM file with the SVID (leaf first, then intermediates)." };
        var inspect = new Command("inspect", "Show an X.509-SVID's SPIFFE ID, key type, validity and chain.") { file };
        inspect.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            List<X509Certificate2> certificates;
            try
            {
                certificates = X509Svid.LoadCertificates(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IdentityLoadException)
            {
                return await WriteAsync(stdout, w =>
                {
                    w.WriteNull("spiffeId");
                    w.WriteString("error", e is FileNotFoundException ? $"'{path}' does not exist." : e.Message);
                }, Invalid, ct).ConfigureAwait(false);
            }
            try
            {
                var leaf = certificates[0];
                var uris = CertificateUris(leaf);
                var hasId = uris.Count == 1 && SpiffeId.TryParse(uris[0], out _);
                return await WriteAsync(stdout, w =>
                {
                    WriteNullable(w, "spiffeId", hasId ? uris[0] : null);
                    w.WriteString("keyType", KeyType(leaf));
                    w.WriteString("notBefore", Iso(leaf.NotBefore));
                    w.WriteString("notAfter", Iso(leaf.NotAfter));
                    w.WriteString("serial", leaf.SerialNumber);
                    w.WriteStartArray("chain");
                    foreach (var certificate in certificates)
                    {
                        w.WriteStartObject();
                        w.WriteString("subject", certificate.Subject);
                        w.WriteString("issuer", certificate.Issuer);
                        w.WriteStartArray("uris");
                        foreach (var uri in CertificateUris(certificate))
                        {
                            w.WriteStringValue(uri);
                        }
                        w.WriteEndArray();
                        w.WriteBoolean("isCa", certificate.Extensions["2.5.29.19"] is X509BasicConstraintsExtension { CertificateAuthority: true });
                        w.WriteString("keyType", KeyType(certificate));
                        w.WriteString("notBefore", Iso(certificate.NotBefore));
                        w.WriteString("notAfter", Iso(certificate.NotAfter));
                        w.WriteString("sha256", Convert.ToHexStringLower(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    if (!hasId)
                    {
                        w.WriteString("reason", uris.Count == 0 ? "no_uri_san" : uris.Count > 1 ? "multiple_uri_sans" : "invalid_spiffe_id");
                    }
                }, hasId ? Ok : Invalid, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }
        });

        var svidFile = new Option<string>("--svid") { Description = "PEM file with the SVID chain.", Required = true };
        var keyFile = new Option<string>("--key") { Description = "PEM private key; when given it must match the SVID." };
        var trust = new TrustInputs("TD=FILE: the bundle (PEM or SPIFFE JSON) of a trust domain (repeatable).");
        var verify = new Command("verify", "Validate an X.509-SVID against trust bundles.") { svidFile, keyFile };
        trust.AddTo(verify);
        verify.SetAction(async (parse, ct) =>
        {
            var (set, time, failed) = await trust.ResolveAsync(parse, stdout, stderr, ct).ConfigureAwait(false);
            if (set is null)
            {
                return failed;
            }
            var path = parse.GetValue(svidFile)!;
            List<X509Certificate2> chain;
            try
            {
                if (parse.GetValue(keyFile) is { } key)
                {
                    using var svid = X509Svid.Load(path, key);
                }
                chain = X509Svid.LoadCertificates(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), path);
            }
            catch (IdentityLoadException e)
            {
                var reason = e.Error switch
                {
                    IdentityLoadError.KeyMismatch => "key_mismatch",
                    IdentityLoadError.NotAnSvid => "not_an_svid",
                    IdentityLoadError.UnsupportedKey => "unsupported_key",
                    IdentityLoadError.NotFound => "not_found",
                    _ => "invalid_format",
                };
                return await ResultAsync(stdout, false, null, reason, e.Message, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return await ResultAsync(stdout, false, null, "not_found", e.Message, ct).ConfigureAwait(false);
            }
            try
            {
                var validator = new X509SvidValidator(set, new X509SvidValidatorOptions { TimeProvider = time, CacheCapacity = 0 });
                var result = validator.Validate(chain);
                return await ResultAsync(stdout, result.IsValid, result.SpiffeId?.ToString(), result.IsValid ? null : result.Reason,
                    result.IsValid ? null : result.Message, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (var certificate in chain)
                {
                    certificate.Dispose();
                }
            }
        });
        return new Command("svid", "X.509-SVID tools.") { inspect, verify };
    }

    private static Command Jwt(TextWriter stdout, TextWriter stderr)
    {
        var key = new Option<string>("--key") { Description = "PEM private key that signs (EC → ES256/384/512 by curve; RSA → --alg)." };
        var dir = new Option<string>("--dir") { Description = "Use the key directory's jwt-key.pem instead of --key." };
        var subject = new Option<string>("--subject") { Description = "The SPIFFE ID to put in sub.", Required = true };
        var audiences = new Option<string[]>("--audience") { Description = "An audience (repeatable).", Required = true, Arity = ArgumentArity.OneOrMore };
        var ttl = new Option<int>("--ttl") { Description = "Lifetime in seconds (default 300).", DefaultValueFactory = _ => 300 };
        var alg = new Option<string>("--alg") { Description = "For RSA keys: RS256 (default), RS384, RS512, PS256, PS384 or PS512." };
        var kid = new Option<string>("--kid") { Description = "Key ID (default: derived from the public key, as in jwt-bundle.json)." };
        var mint = new Command("mint", "Mint a JWT-SVID (development).") { key, dir, subject, audiences, ttl, alg, kid };
        mint.SetAction(async (parse, ct) =>
        {
            var keyPath = parse.GetValue(key);
            var dirPath = parse.GetValue(dir);
            if ((keyPath is null) == (dirPath is null))
            {
                return await UsageAsync(stderr, "Give exactly one of --key FILE or --dir DIR.").ConfigureAwait(false);
            }
            if (!SpiffeId.TryParse(parse.GetValue(subject), out var sub, out var rule) || sub.IsTrustDomainId)
            {
                return await UsageAsync(stderr, $"--subject is not a workload SPIFFE ID ({(rule == SpiffeIdRule.None ? "no path" : SpiffeId.DescribeRule(rule))}).").ConfigureAwait(false);
            }
            var seconds = parse.GetValue(ttl);
            if (seconds <= 0)
            {
                return await UsageAsync(stderr, "--ttl must be positive.").ConfigureAwait(false);
            }
            var rsaAlg = JwtAlgorithm.RS256;
            if (parse.GetValue(alg) is { } algName && (!Enum.TryParse(algName, false, out rsaAlg) || algName.StartsWith("ES", StringComparison.Ordinal)))
            {
                return await UsageAsync(stderr, "--alg must be one of RS256, RS384, RS512, PS256, PS384, PS512 (EC keys choose ES* by curve).").ConfigureAwait(false);
            }
            var path = keyPath ?? Path.Combine(dirPath!, KeyDirectory.JwtKeyFile);
            JwtSigningKey signingKey;
            try
            {
                KeyDirectory.EnsurePrivate(path);
                signingKey = JwtSigningKey.FromPem(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), parse.GetValue(kid), rsaAlg);
            }
            catch (IdentityLoadException e)
            {
                return await WriteAsync(stdout, w => w.WriteString("error", e.Message), Invalid, ct).ConfigureAwait(false);
            }
            using (signingKey)
            {
                var now = DateTimeOffset.UtcNow;
                var svid = JwtSvid.Mint(sub, parse.GetValue(audiences)!, now.AddSeconds(seconds), signingKey, now);
                return await WriteAsync(stdout, w =>
                {
                    w.WriteString("token", svid.Token);
                    w.WriteString("spiffeId", svid.Id.ToString());
                    w.WriteStartArray("audience");
                    foreach (var a in svid.Audience)
                    {
                        w.WriteStringValue(a);
                    }
                    w.WriteEndArray();
                    w.WriteString("expiresAt", Iso(svid.Expiry.UtcDateTime));
                    w.WriteString("kid", svid.KeyId);
                    w.WriteString("alg", svid.Algorithm.ToString());
                }, Ok, ct).ConfigureAwait(false);
            }
        });

        var token = new Option<string>("--token") { Description = "The token, or @FILE to read it from a file.", Required = true };
        var audience = new Option<string>("--audience") { Description = "The audience this verifier expects.", Required = true };
        var trust = new TrustInputs("TD=FILE: the bundle (SPIFFE JSON with jwt-svid keys) of a trust domain (repeatable).");
        var verify = new Command("verify", "Validate a JWT-SVID for an audience.") { token, audience };
        trust.AddTo(verify);
        verify.SetAction(async (parse, ct) =>
        {
            var (set, time, failed) = await trust.ResolveAsync(parse, stdout, stderr, ct).ConfigureAwait(false);
            if (set is null)
            {
                return failed;
            }
            var text = parse.GetValue(token)!;
            if (text.StartsWith('@'))
            {
                try
                {
                    text = (await File.ReadAllTextAsync(text[1..], ct).ConfigureAwait(false)).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return await UsageAsync(stderr, $"--token: cannot read '{text[1..]}': {e.Message}").ConfigureAwait(false);
                }
            }
            var expected = parse.GetValue(audience)!;
            if (expected.Length == 0)
            {
                return await UsageAsync(stderr, "--audience must not be empty.").ConfigureAwait(false);
            }
            var validator = new JwtSvidValidator(set, new JwtSvidValidatorOptions { TimeProvider = time, CacheCapacity = 0 });
            var result = validator.Validate(text, expected);
            return await ResultAsync(stdout, result.IsValid, result.SpiffeId?.ToString(), result.IsValid ? null : result.Reason,
                result.IsValid ? null : result.Message, ct).ConfigureAwait(false);
        });
        return new Command("jwt", "JWT-SVID tools.") { mint, verify };
    }

    // The trust options shared by `svid verify` and `jwt verify`: --bundle TD=FILE… or --bundle-dir + --trust-domain,
    // and --at.
    private sealed class TrustInputs(string bundleDescription)
    {
        private readonly Option<string[]> _bundles = new("--bundle") { Description = bundleDescription, Arity = ArgumentArity.ZeroOrMore };
        private readonly Option<string> _bundleDir = new("--bundle-dir") { Description = "Read bundles from a key directory instead (needs --trust-domain)." };
        private readonly Option<string> _trustDomain = new("--trust-domain") { Description = "The local trust domain of --bundle-dir." };
        private readonly Option<string> _at = new("--at") { Description = "Validate as of this ISO-8601 time instead of now." };

        public void AddTo(Command command)
        {
            command.Add(_bundles);
            command.Add(_bundleDir);
            command.Add(_trustDomain);
            command.Add(_at);
        }

        // The trust bundle set and clock; on failure a null set and the exit code, having written a usage error to
        // stderr or an invalid_bundle result to stdout.
        public async Task<(TrustBundleSet? Set, TimeProvider Clock, int Exit)> ResolveAsync(ParseResult parse, TextWriter stdout,
            TextWriter stderr, CancellationToken ct)
        {
            var (set, time, usage) = Read(parse);
            if (usage is not null)
            {
                return (null, time.Clock, await UsageAsync(stderr, usage).ConfigureAwait(false));
            }
            if (set is null)
            {
                return (null, time.Clock, await ResultAsync(stdout, false, null, "invalid_bundle", time.Message, ct).ConfigureAwait(false));
            }
            return (set, time.Clock, Ok);
        }

        private (TrustBundleSet? Set, TimeSetting Clock, string? Usage) Read(ParseResult parse)
        {
            var time = new TimeSetting(TimeProvider.System, string.Empty);
            if (parse.GetValue(_at) is { } atText)
            {
                if (!DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
                {
                    return (null, time, $"--at '{atText}' is not an ISO-8601 date-time.");
                }
                time = new TimeSetting(new FixedTime(instant), string.Empty);
            }
            var pairs = parse.GetValue(_bundles) ?? [];
            var dir = parse.GetValue(_bundleDir);
            if (pairs.Length == 0 && dir is null)
            {
                return (null, time, "Give at least one --bundle TD=FILE, or --bundle-dir DIR --trust-domain TD.");
            }
            if (pairs.Length > 0 && dir is not null)
            {
                return (null, time, "Use either --bundle or --bundle-dir, not both.");
            }
            try
            {
                if (dir is not null)
                {
                    if (!TrustDomain.TryParse(parse.GetValue(_trustDomain), out var local))
                    {
                        return (null, time, "--bundle-dir needs a valid --trust-domain.");
                    }
                    return (new TrustBundleSet(KeyDirectory.ReadBundles(dir, local)), time, null);
                }
                // Every usage error is reported before any file is read.
                var files = new List<(TrustDomain Domain, string Path)>();
                foreach (var pair in pairs)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0 || eq == pair.Length - 1 || !TrustDomain.TryParse(pair[..eq], out var td))
                    {
                        return (null, time, $"--bundle '{pair}' must be TD=FILE with a valid trust domain.");
                    }
                    if (files.Exists(f => f.Domain == td))
                    {
                        return (null, time, $"--bundle names trust domain {td} twice.");
                    }
                    files.Add((td, pair[(eq + 1)..]));
                }
                return (new TrustBundleSet(files.ConvertAll(f => TrustBundle.Load(f.Domain, f.Path))), time, null);
            }
            catch (IdentityLoadException e)
            {
                return (null, time with { Message = e.Message }, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, time with { Message = e.Message }, null);
            }
        }
    }

    private static Task<int> ResultAsync(TextWriter stdout, bool valid, string? spiffeId, string? reason, string? message, CancellationToken ct) =>
        WriteAsync(stdout, w =>
        {
            w.WriteBoolean("valid", valid);
            WriteNullable(w, "spiffeId", spiffeId);
            WriteNullable(w, "reason", reason);
            if (message is not null)
            {
                w.WriteString("message", message);
            }
        }, valid ? Ok : Invalid, ct);

    private static async Task<int> WriteAsync(TextWriter stdout, Action<Utf8JsonWriter> body, int code, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        await stdout.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray()).AsMemory(), ct).ConfigureAwait(false);
        return code;
    }

    private static async Task<int> UsageAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync(message).ConfigureAwait(false);
        return Usage;
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static List<string> CertificateUris(X509Certificate2 certificate)
    {
        var result = new List<string>();
        if (certificate.Extensions["2.5.29.17"] is not { } san)
        {
            return result;
        }
        try
        {
            var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
            while (reader.HasData)
            {
                if (reader.PeekTag() == uriTag)
                {
                    result.Add(reader.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    reader.ReadEncodedValue();
                }
            }
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            result.Clear();
        }
        return result;
    }

    private static string KeyType(X509Certificate2 certificate)
    {
        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null)
        {
            return ec.KeySize switch { 256 => "EC P-256", 384 => "EC P-384", 521 => "EC P-521", var n => $"EC {n}" };
        }
        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null ? $"RSA {rsa.KeySize}" : certificate.PublicKey.Oid.FriendlyName ?? "unknown";
    }

    private static string Iso(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private readonly record struct TimeSetting(TimeProvider Clock, string Message);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
