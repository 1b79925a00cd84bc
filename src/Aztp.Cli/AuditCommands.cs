using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Cli;

/// <summary>
/// <c>aztp audit verify|tail|query|prune</c> over a JSONL file, <c>sqlite:PATH</c> or <c>postgres:CONNSTR</c>.
/// Exit codes: 0 success (intact), 1 broken chain, 2 usage error or unreadable store.
/// </summary>
internal static class AuditCommands
{
    private const int Ok = 0;
    private const int Broken = 1;
    private const int Usage = 2;

    /// <summary>Adds the <c>audit</c> command to the root.</summary>
    public static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var audit = new Command("audit", "Verify, read and prune the tamper-evident audit trail.");
        audit.Add(Verify(stdout, stderr));
        audit.Add(Tail(stdout, stderr));
        audit.Add(Query(stdout, stderr));
        audit.Add(Prune(stdout, stderr));
        root.Add(audit);
    }

    private static Argument<string> StoreArgument() => new("store")
    {
        Description = "The audit store: a JSONL file (.gz for rotated files), sqlite:PATH or postgres:CONNECTION-STRING.",
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Write JSON (one event per line) instead of a table." };

    private static Command Verify(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreArgument();
        var bundle = new Option<string?>("--bundle") { Description = "Key directory with bundle.pem (and federation/*.pem): the CAs checkpoint signers must chain to." };
        var noTrust = new Option<bool>("--no-trust") { Description = "Check checkpoint signatures without a trust bundle (proves consistency, not origin)." };
        var allowUnsealed = new Option<bool>("--allow-unsealed") { Description = "Accept records after the last checkpoint (a live writer, or a store written without a signer)." };
        var json = JsonOption();
        var command = new Command("verify", "Verify the whole hash chain and every checkpoint signature; report the first broken record.")
        {
            store, bundle, noTrust, allowUnsealed, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var bundleDir = parse.GetValue(bundle);
            if (bundleDir is null && !parse.GetValue(noTrust))
            {
                await stderr.WriteLineAsync("aztp audit verify: give --bundle DIR (the trust bundle checkpoint signers must chain to), or --no-trust to check signatures only.").ConfigureAwait(false);
                return Usage;
            }
            AuditVerificationResult result;
            try
            {
                var sealedTail = !parse.GetValue(allowUnsealed);
                var options = bundleDir is null
                    ? new AuditVerifyOptions { RequireSealedTail = sealedTail }
                    : AuditVerifyOptions.FromKeyDirectory(bundleDir, sealedTail);
                result = await AuditVerifier.VerifyAsync(parse.GetValue(store)!, options, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuditStoreException or ArgumentException)
            {
                await stderr.WriteLineAsync($"aztp audit verify: {ex.Message}").ConfigureAwait(false);
                return Usage;
            }
            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(VerifyJson(result)).ConfigureAwait(false);
            }
            else if (result.Break is { } b)
            {
                await stdout.WriteLineAsync($"BROKEN: {KindName(b.Kind)} at seq {b.Seq} (position {b.Position}): {b.Message}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"verified before the break: {result.Records} records ({result.Events} events, {result.Checkpoints} checkpoints)").ConfigureAwait(false);
            }
            else
            {
                await stdout.WriteLineAsync(
                    $"INTACT: {result.Records} records (seq {result.FirstSeq}..{result.LastSeq}), {result.Events} events, {result.Checkpoints} checkpoints" +
                    (result.Signers.Count > 0 ? $", signed by {string.Join(", ", result.Signers)}" : "") +
                    (result.TrustChecked ? "; signers chain to the trust bundle" : "; signers NOT checked against a trust bundle")).ConfigureAwait(false);
            }
            return result.IsIntact ? Ok : Broken;
        });
        return command;
    }

    private static Command Tail(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreArgument();
        var count = new Option<int>("--lines", "-n") { Description = "How many of the last events to show.", DefaultValueFactory = _ => 20 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they are stored (until interrupted)." };
        var interval = new Option<int>("--interval-ms") { Description = "Polling interval for --follow.", DefaultValueFactory = _ => 500 };
        var json = JsonOption();
        var command = new Command("tail", "Show the last events, and with --follow, new ones as they arrive.") { store, count, follow, interval, json };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(count);
            var ms = parse.GetValue(interval);
            if (n < 1 || ms < 10)
            {
                await stderr.WriteLineAsync("aztp audit tail: --lines must be at least 1 and --interval-ms at least 10.").ConfigureAwait(false);
                return Usage;
            }
            var asJson = parse.GetValue(json);
            var location = parse.GetValue(store)!;
            try
            {
                var last = await PrintAsync(location, new AuditQuery { Last = n }, asJson, header: true, stdout, ct).ConfigureAwait(false);
                while (parse.GetValue(follow) && !ct.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(ms, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    last = Math.Max(last, await PrintAsync(location, new AuditQuery { AfterSeq = last }, asJson, header: false, stdout, ct).ConfigureAwait(false));
                }
                return Ok;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Ok;
            }
            catch (Exception ex) when (ex is AuditStoreException or ArgumentException or JsonException)
            {
                await stderr.WriteLineAsync($"aztp audit tail: {ex.Message}").ConfigureAwait(false);
                return Usage;
            }
        });
        return command;
    }

    private static Command Query(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreArgument();
        var type = new Option<string?>("--type") { Description = "identity, policy, rpc, monitoring or system." };
        var outcome = new Option<string?>("--outcome") { Description = "success, failure, denied or error." };
        var since = new Option<string?>("--since") { Description = "A duration back from now (30s, 15m, 1h, 7d) or an ISO 8601 time." };
        var agent = new Option<string?>("--agent") { Description = "The emitting agent's name, or an actor SPIFFE ID." };
        var trace = new Option<string?>("--trace") { Description = "A W3C trace id." };
        var limit = new Option<int?>("--limit") { Description = "Only the last N matching events." };
        var json = JsonOption();
        var command = new Command("query", "Show the events that match every given filter, oldest first.") { store, type, outcome, since, agent, trace, limit, json };
        command.SetAction(async (parse, ct) =>
        {
            AuditQuery query;
            try
            {
                query = new AuditQuery
                {
                    Type = parse.GetValue(type) is { } t ? SecurityEventJson.ParseType(t) : null,
                    Outcome = parse.GetValue(outcome) is { } o ? SecurityEventJson.ParseOutcome(o) : null,
                    Since = parse.GetValue(since) is { } s ? ParseSince(s, DateTimeOffset.UtcNow) : null,
                    Agent = parse.GetValue(agent),
                    TraceId = parse.GetValue(trace),
                    Last = parse.GetValue(limit) is { } l ? (l > 0 ? l : throw new FormatException("--limit must be positive.")) : null,
                };
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                await stderr.WriteLineAsync($"aztp audit query: {ex.Message}").ConfigureAwait(false);
                return Usage;
            }
            try
            {
                await PrintAsync(parse.GetValue(store)!, query, parse.GetValue(json), header: true, stdout, ct).ConfigureAwait(false);
                return Ok;
            }
            catch (Exception ex) when (ex is AuditStoreException or ArgumentException or JsonException)
            {
                await stderr.WriteLineAsync($"aztp audit query: {ex.Message}").ConfigureAwait(false);
                return Usage;
            }
        });
        return command;
    }

    private static Command Prune(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreArgument();
        var days = new Option<int>("--older-than-days") { Description = "Delete records older than this many days (up to a checkpoint).", Required = true };
        var command = new Command("prune", "Apply retention to a database store; the rest still verifies from the checkpoint at the cut.") { store, days };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(days);
            if (n < 1)
            {
                await stderr.WriteLineAsync("aztp audit prune: --older-than-days must be at least 1.").ConfigureAwait(false);
                return Usage;
            }
            try
            {
                var reader = await AuditStore.OpenReaderAsync(parse.GetValue(store)!, ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (reader is not IAuditRetention retention)
                    {
                        await stderr.WriteLineAsync("aztp audit prune: only sqlite: and postgres: stores are pruned; JSONL files use rotation with KeepFiles/KeepDays.").ConfigureAwait(false);
                        return Usage;
                    }
                    var result = await retention.PruneAsync(DateTimeOffset.UtcNow.AddDays(-n), ct).ConfigureAwait(false);
                    await stdout.WriteLineAsync(result.Deleted == 0
                        ? "nothing to prune (no checkpoint precedes the cut)"
                        : $"deleted {result.Deleted} records; the store now starts at checkpoint seq {result.StartsAtSeq}").ConfigureAwait(false);
                    return Ok;
                }
            }
            catch (Exception ex) when (ex is AuditStoreException or ArgumentException)
            {
                await stderr.WriteLineAsync($"aztp audit prune: {ex.Message}").ConfigureAwait(false);
                return Usage;
            }
        });
        return command;
    }

    /// <summary>Prints matching events; returns the highest seq printed (or <paramref name="query"/>.AfterSeq).</summary>
    private static async Task<long> PrintAsync(string location, AuditQuery query, bool json, bool header, TextWriter stdout, CancellationToken ct)
    {
        long last = query.AfterSeq ?? 0;
        var reader = await AuditStore.OpenReaderAsync(location, ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (header && !json)
            {
                await stdout.WriteLineAsync(Row("SEQ", "TIME (UTC)", "TYPE", "ACTION", "OUTCOME", "SEVERITY", "AGENT", "ACTOR", "TRACE")).ConfigureAwait(false);
            }
            await foreach (var entry in reader.QueryAsync(query, ct).ConfigureAwait(false))
            {
                last = Math.Max(last, entry.Seq);
                var e = entry.Event;
                await stdout.WriteLineAsync(json
                    ? SecurityEventJson.Serialize(e)
                    : Row(entry.Seq.ToString(CultureInfo.InvariantCulture), e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
                        SecurityEventJson.TypeName(e.Type), e.Data.Action ?? "-", SecurityEventJson.OutcomeName(e.Outcome), SecurityEventJson.SeverityName(e.Severity),
                        e.AgentId, e.Actor?.Id ?? e.Actor?.Ip ?? "-", e.TraceId is { Length: > 8 } t ? t[..8] : e.TraceId ?? "-")).ConfigureAwait(false);
            }
        }
        await stdout.FlushAsync(ct).ConfigureAwait(false);
        return last;
    }

    private static string Row(params string[] cells)
    {
        int[] widths = [7, 23, 10, 16, 8, 8, 12, 36, 8];
        return string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
    }

    /// <summary>Parses <c>30s</c>, <c>15m</c>, <c>1h</c>, <c>7d</c> (back from now) or an ISO 8601 time.</summary>
    internal static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return now - (text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            });
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }
        throw new FormatException($"--since '{text}' is neither a duration (30s, 15m, 1h, 7d) nor an ISO 8601 time.");
    }

    private static string KindName(AuditBreakKind kind) => kind switch
    {
        AuditBreakKind.Edited => "edited",
        AuditBreakKind.Deleted => "deleted",
        AuditBreakKind.Inserted => "inserted",
        AuditBreakKind.Reordered => "reordered",
        AuditBreakKind.Truncated => "truncated",
        AuditBreakKind.InvalidCheckpoint => "invalid-checkpoint",
        _ => "untrusted-checkpoint",
    };

    private static string VerifyJson(AuditVerificationResult r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBoolean("intact", r.IsIntact);
            w.WriteNumber("records", r.Records);
            w.WriteNumber("events", r.Events);
            w.WriteNumber("checkpoints", r.Checkpoints);
            w.WriteNumber("firstSeq", r.FirstSeq);
            w.WriteNumber("lastSeq", r.LastSeq);
            w.WriteNumber("lastCheckpointSeq", r.LastCheckpointSeq);
            w.WriteString("lastHash", r.LastHash);
            w.WriteBoolean("trustChecked", r.TrustChecked);
            w.WriteStartArray("signers");
            foreach (var s in r.Signers)
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
            if (r.Break is { } b)
            {
                w.WriteStartObject("break");
                w.WriteString("kind", KindName(b.Kind));
                w.WriteNumber("seq", b.Seq);
                w.WriteNumber("position", b.Position);
                w.WriteString("message", b.Message);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
