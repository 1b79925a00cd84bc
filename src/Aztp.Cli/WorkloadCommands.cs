using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Aztp.Identity;
using Aztp.Identity.WorkloadApi;

namespace Aztp.Cli;

/// <summary>
/// The Workload API commands: <c>svid fetch [--socket URI] [--watch]</c> and
/// <c>jwt fetch --audience A [--socket URI] [--show-token]</c>. One JSON object per line on stdout.
/// Exit codes: 0 done, 1 the Workload API failed (a JSON line with <c>error</c>), 2 usage error.
/// </summary>
internal static class WorkloadCommands
{
    private const int Ok = 0;
    private const int Failed = 1;
    private const int Usage = 2;

    /// <summary>Adds <c>fetch</c> to the <c>svid</c> and <c>jwt</c> commands (creating them when absent).</summary>
    public static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        Parent(root, "svid", "X.509-SVID tools.").Add(SvidFetch(stdout, stderr));
        Parent(root, "jwt", "JWT-SVID tools.").Add(JwtFetch(stdout, stderr));
    }

    private static Command Parent(RootCommand root, string name, string description)
    {
        foreach (var existing in root.Subcommands)
        {
            if (existing.Name == name)
            {
                return existing;
            }
        }

        var created = new Command(name, description);
        root.Add(created);
        return created;
    }

    private static Option<string> SocketOption() => new("--socket")
    {
        Description = "The Workload API address: unix:///path or tcp://ip:port (default: $SPIFFE_ENDPOINT_SOCKET).",
    };

    private static Command SvidFetch(TextWriter stdout, TextWriter stderr)
    {
        var socket = SocketOption();
        var watch = new Option<bool>("--watch") { Description = "Keep streaming updates until interrupted." };
        var fetch = new Command("fetch", "Fetch this workload's X.509-SVIDs from the SPIFFE Workload API: one JSON line per SVID per update.") { socket, watch };
        fetch.SetAction(async (parse, ct) =>
        {
            if (CreateClient(parse.GetValue(socket), out var client) is { } usage)
            {
                return await UsageAsync(stderr, usage).ConfigureAwait(false);
            }

            await using (client)
            {
                var follow = parse.GetValue(watch);
                try
                {
                    await foreach (var context in client!.WatchX509ContextsAsync(ct).ConfigureAwait(false))
                    {
                        var trustDomains = context.Bundles.Select(b => b.TrustDomain.Name).Order(StringComparer.Ordinal).ToList();
                        foreach (var svid in context.Svids)
                        {
                            await WriteAsync(stdout, w =>
                            {
                                w.WriteString("spiffeId", svid.Id.ToString());
                                w.WriteString("serial", svid.SerialNumber);
                                w.WriteString("notAfter", svid.NotAfter.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                                w.WriteStartArray("trustDomains");
                                foreach (var td in trustDomains)
                                {
                                    w.WriteStringValue(td);
                                }

                                w.WriteEndArray();
                            }, ct).ConfigureAwait(false);
                            svid.Dispose();
                        }

                        if (!follow)
                        {
                            return Ok;
                        }
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return Ok;
                }
                catch (WorkloadApiException e)
                {
                    return await ErrorAsync(stdout, e, ct).ConfigureAwait(false);
                }

                return Ok;
            }
        });
        return fetch;
    }

    private static Command JwtFetch(TextWriter stdout, TextWriter stderr)
    {
        var socket = SocketOption();
        var audiences = new Option<string[]>("--audience") { Description = "An audience (repeatable).", Required = true, Arity = ArgumentArity.OneOrMore };
        var spiffeId = new Option<string>("--spiffe-id") { Description = "Only this identity (default: every identity of the workload)." };
        var showToken = new Option<bool>("--show-token") { Description = "Also print the token itself (it is a bearer credential)." };
        var fetch = new Command("fetch", "Fetch JWT-SVIDs from the SPIFFE Workload API and print their claims (not the token unless --show-token).")
        {
            socket, audiences, spiffeId, showToken,
        };
        fetch.SetAction(async (parse, ct) =>
        {
            var audience = parse.GetValue(audiences) ?? [];
            if (audience.Length == 0 || audience.Any(string.IsNullOrEmpty))
            {
                return await UsageAsync(stderr, "--audience must be non-empty.").ConfigureAwait(false);
            }

            SpiffeId? id = null;
            if (parse.GetValue(spiffeId) is { } text && !SpiffeId.TryParse(text, out id, out var rule))
            {
                return await UsageAsync(stderr, $"--spiffe-id: {SpiffeId.DescribeRule(rule)}.").ConfigureAwait(false);
            }

            if (CreateClient(parse.GetValue(socket), out var client) is { } usage)
            {
                return await UsageAsync(stderr, usage).ConfigureAwait(false);
            }

            await using (client)
            {
                IReadOnlyList<JwtSvid> svids;
                try
                {
                    svids = await client!.FetchJwtSvidsAsync(audience, id, ct).ConfigureAwait(false);
                }
                catch (WorkloadApiException e)
                {
                    return await ErrorAsync(stdout, e, ct).ConfigureAwait(false);
                }

                var show = parse.GetValue(showToken);
                foreach (var svid in svids)
                {
                    await WriteAsync(stdout, w =>
                    {
                        w.WriteString("spiffeId", svid.Id.ToString());
                        w.WriteStartArray("audience");
                        foreach (var a in svid.Audience)
                        {
                            w.WriteStringValue(a);
                        }

                        w.WriteEndArray();
                        w.WriteString("expiresAt", svid.Expiry.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                        w.WriteString("kid", svid.KeyId);
                        w.WriteString("alg", svid.Algorithm.ToString());
                        w.WritePropertyName("claims");
                        WriteClaims(w, svid.Token);
                        if (show)
                        {
                            w.WriteString("token", svid.Token);
                        }
                    }, ct).ConfigureAwait(false);
                }

                return Ok;
            }
        });
        return fetch;
    }

    private static void WriteClaims(Utf8JsonWriter writer, string token)
    {
        // The client already checked the token is a JWS with JSON claims; print the payload as-is.
        var payload = token.Split('.')[1];
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(payload);
        using var document = JsonDocument.Parse(bytes);
        document.RootElement.WriteTo(writer);
    }

    private static string? CreateClient(string? socket, out WorkloadApiClient? client)
    {
        try
        {
            client = new WorkloadApiClient(new WorkloadApiClientOptions { Address = socket });
            return null;
        }
        catch (ArgumentException e)
        {
            client = null;
            return "--socket: " + e.Message;
        }
    }

    private static async Task<int> ErrorAsync(TextWriter stdout, WorkloadApiException e, CancellationToken ct)
    {
        await WriteAsync(stdout, w =>
        {
            w.WriteString("error", e.IsNoIdentityIssued ? "no_identity_issued" : JsonNamingPolicy.SnakeCaseLower.ConvertName(e.StatusCode.ToString()));
            w.WriteString("message", e.Message);
        }, ct).ConfigureAwait(false);
        return Failed;
    }

    private static async Task WriteAsync(TextWriter stdout, Action<Utf8JsonWriter> body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        await stdout.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray()).AsMemory(), ct).ConfigureAwait(false);
        await stdout.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<int> UsageAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync(message).ConfigureAwait(false);
        return Usage;
    }
}
