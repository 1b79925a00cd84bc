using System.CommandLine;
using System.Text;
using System.Text.Json;
using Aztp.Policy;

namespace Aztp.Cli;

/// <summary>
/// <c>aztp policy check</c> and <c>aztp policy eval</c>. Output is JSON on stdout. Exit codes: 0 valid / decided,
/// 1 invalid policies or an input that cannot be evaluated, 2 usage error (bad arguments, missing files).
/// </summary>
internal static class PolicyCommands
{
    /// <summary>Adds the <c>policy</c> command group to the root command.</summary>
    public static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var policy = new Command("policy", "Check and evaluate Cedar policies.");
        policy.Subcommands.Add(CheckCommand(stdout, stderr));
        policy.Subcommands.Add(EvalCommand(stdout, stderr));
        root.Subcommands.Add(policy);
    }

    private static Command CheckCommand(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string>("path") { Description = "A .cedar file or a directory of .cedar files." };
        var cmd = new Command("check", "Parse Cedar policies and report errors with line and column (exit 1 on error).");
        cmd.Arguments.Add(path);
        cmd.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(path)!;
            IReadOnlyList<string> files;
            try
            {
                files = PolicyFiles.Enumerate(target);
            }
            catch (FileNotFoundException ex)
            {
                await stderr.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }
            var errors = new List<PolicyParseException>();
            var counts = new List<(string File, int Policies)>();
            foreach (var file in files)
            {
                try
                {
                    var set = PolicySet.Parse(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false), null, file);
                    counts.Add((file, set.Count));
                }
                catch (PolicyParseException ex)
                {
                    errors.Add(ex);
                    counts.Add((file, 0));
                }
            }
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteBoolean("valid", errors.Count == 0);
                w.WriteNumber("policies", counts.Sum(c => c.Policies));
                w.WriteStartArray("files");
                foreach (var (file, n) in counts)
                {
                    w.WriteStartObject();
                    w.WriteString("file", file);
                    w.WriteNumber("policies", n);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("errors");
                foreach (var e in errors)
                {
                    w.WriteStartObject();
                    w.WriteString("file", e.FileName);
                    w.WriteNumber("line", e.Line);
                    w.WriteNumber("column", e.Column);
                    w.WriteString("message", e.Detail);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            })).ConfigureAwait(false);
            foreach (var e in errors)
            {
                await stderr.WriteLineAsync(e.Message).ConfigureAwait(false);
            }
            if (files.Count == 0)
            {
                await stderr.WriteLineAsync($"no {PolicyFiles.Extension} files under '{target}'").ConfigureAwait(false);
            }
            return errors.Count == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static Command EvalCommand(TextWriter stdout, TextWriter stderr)
    {
        var policies = new Option<string>("--policies") { Description = "A .cedar file or a directory of .cedar files (policy0, policy1, … in order)." };
        var entities = new Option<string>("--entities") { Description = "Entities in Cedar's JSON format (default: none)." };
        var request = new Option<string>("--request") { Description = "A JSON request: principal, action, resource (Type::\"id\" or {type,id}) and context." };
        var batch = new Option<string>("--batch") { Description = "A JSONL file of self-contained cases (- for stdin); one result line per case." };
        var cmd = new Command("eval", "Evaluate a request (one decision) or a batch of cases against Cedar policies.");
        cmd.Options.Add(policies);
        cmd.Options.Add(entities);
        cmd.Options.Add(request);
        cmd.Options.Add(batch);
        cmd.SetAction(async (parse, ct) =>
        {
            var batchPath = parse.GetValue(batch);
            var policiesPath = parse.GetValue(policies);
            var requestPath = parse.GetValue(request);
            var entitiesPath = parse.GetValue(entities);
            if (batchPath is not null)
            {
                if (policiesPath is not null || requestPath is not null || entitiesPath is not null)
                {
                    await stderr.WriteLineAsync("--batch cannot be combined with --policies, --entities or --request").ConfigureAwait(false);
                    return 2;
                }
                return await RunBatchAsync(batchPath, stdout, stderr, ct).ConfigureAwait(false);
            }
            if (policiesPath is null || requestPath is null)
            {
                await stderr.WriteLineAsync("eval needs --policies and --request (and optionally --entities), or --batch FILE.jsonl").ConfigureAwait(false);
                return 2;
            }
            return await EvalOneAsync(policiesPath, entitiesPath, requestPath, stdout, stderr, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static async Task<int> RunBatchAsync(string path, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (path == "-")
        {
            await PolicyBatch.RunAsync(Console.In, stdout, ct).ConfigureAwait(false);
            return 0;
        }
        if (!File.Exists(path))
        {
            await stderr.WriteLineAsync($"no batch file at '{path}'").ConfigureAwait(false);
            return 2;
        }
        using var reader = new StreamReader(path, Encoding.UTF8);
        await PolicyBatch.RunAsync(reader, stdout, ct).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> EvalOneAsync(string policiesPath, string? entitiesPath, string requestPath, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        foreach (var (name, p) in new[] { ("--entities", entitiesPath), ("--request", requestPath) })
        {
            if (p is not null && !File.Exists(p))
            {
                await stderr.WriteLineAsync($"{name}: no file at '{p}'").ConfigureAwait(false);
                return 2;
            }
        }
        try
        {
            var set = await PolicyFiles.LoadAsync(policiesPath, ct).ConfigureAwait(false);
            var store = entitiesPath is null ? EntityStore.Empty : EntityStore.FromJson(await File.ReadAllTextAsync(entitiesPath, ct).ConfigureAwait(false));
            AuthorizationRequest req;
            try
            {
                using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(requestPath, ct).ConfigureAwait(false));
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new CedarJsonException("request: expected a JSON object");
                }
                req = PolicyBatch.ParseRequest(doc.RootElement);
            }
            catch (JsonException ex)
            {
                throw new CedarJsonException($"request: invalid JSON: {ex.Message}", ex);
            }
            var response = CedarAuthorizer.Authorize(set, store, req);
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteString("decision", response.IsAllowed ? "allow" : "deny");
                w.WriteStartArray("reasons");
                foreach (var r in response.Reasons)
                {
                    w.WriteStringValue(r);
                }
                w.WriteEndArray();
                w.WriteStartArray("errors");
                foreach (var e in response.Errors.Select(e => e.PolicyId).Distinct())
                {
                    w.WriteStringValue(e);
                }
                w.WriteEndArray();
                w.WriteString("reason", response.Explain());
                w.WriteStartArray("errorMessages");
                foreach (var e in response.Errors)
                {
                    w.WriteStringValue($"{e.PolicyId}: {e.Message}");
                }
                w.WriteEndArray();
            })).ConfigureAwait(false);
            return 0;
        }
        catch (FileNotFoundException ex)
        {
            await stderr.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is PolicyParseException or CedarJsonException)
        {
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteString("decision", "failure");
                w.WriteStartArray("reasons");
                w.WriteEndArray();
                w.WriteStartArray("errors");
                w.WriteEndArray();
                w.WriteString("message", ex.Message);
            })).ConfigureAwait(false);
            await stderr.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
