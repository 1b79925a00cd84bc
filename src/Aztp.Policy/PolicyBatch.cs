using System.Text;
using System.Text.Json;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// Evaluates self-contained cases in the <c>aztp policy eval --batch</c> JSONL format. One input line:
/// <c>{"id", "policies": "&lt;cedar text&gt;", "entities": [Cedar entities], "request": {"principal", "action",
/// "resource", "context"}}</c>, where a uid is <c>Type::"id"</c> or <c>{"type","id"}</c>. One output line:
/// <c>{"id", "decision": "allow"|"deny"|"failure", "reasons": [policy ids], "errors": [policy ids]}</c>, plus
/// <c>"message"</c> on failure (the input itself could not be evaluated). Policies are named <c>policy0</c>,
/// <c>policy1</c>, … in text order, as Cedar does, so results compare one to one with the reference engine.
/// </summary>
public static class PolicyBatch
{
    /// <summary>Evaluates one case line and returns the result line (never throws for bad input: it reports failure).</summary>
    public static string EvaluateLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string? id = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CedarJsonException("a case must be a JSON object");
            }
            if (root.TryGetProperty("id", out var idEl))
            {
                id = idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : idEl.GetRawText();
            }
            var text = root.TryGetProperty("policies", out var pol) && pol.ValueKind == JsonValueKind.String
                ? pol.GetString()!
                : throw new CedarJsonException("`policies` must be a string of Cedar policy text");
            var policies = PolicySet.Parse(text);
            var entities = root.TryGetProperty("entities", out var ents) ? EntityStore.FromJson(ents) : EntityStore.Empty;
            if (!root.TryGetProperty("request", out var req) || req.ValueKind != JsonValueKind.Object)
            {
                throw new CedarJsonException("`request` must be an object");
            }
            var request = ParseRequest(req);
            var response = CedarAuthorizer.Authorize(policies, entities, request);
            return Format(id, response.IsAllowed ? "allow" : "deny", response.Reasons, response.Errors.Select(e => e.PolicyId), null);
        }
        catch (Exception ex) when (ex is JsonException or CedarJsonException or PolicyParseException or FormatException)
        {
            return Format(id, "failure", [], [], ex.Message);
        }
    }

    /// <summary>Reads case lines from <paramref name="input"/> and writes one result line per non-empty line.</summary>
    /// <returns>The number of cases whose decision was <c>failure</c>.</returns>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var failures = 0;
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var result = EvaluateLine(line);
            if (result.Contains("\"decision\":\"failure\"", StringComparison.Ordinal))
            {
                failures++;
            }
            await output.WriteLineAsync(result.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        return failures;
    }

    /// <summary>Reads a request object: <c>principal</c>, <c>action</c>, <c>resource</c> (text or JSON uids) and <c>context</c>.</summary>
    /// <exception cref="CedarJsonException">A field is missing or malformed.</exception>
    public static AuthorizationRequest ParseRequest(JsonElement request)
    {
        var principal = Uid(request, "principal");
        var action = Uid(request, "action");
        var resource = Uid(request, "resource");
        var context = request.TryGetProperty("context", out var ctx) ? CedarContext.FromJson(ctx) : CedarContext.Empty;
        return new AuthorizationRequest(principal, action, resource, context);
    }

    private static EntityUid Uid(JsonElement request, string name)
    {
        if (!request.TryGetProperty(name, out var el))
        {
            throw new CedarJsonException($"request: missing `{name}`");
        }
        if (el.ValueKind == JsonValueKind.String)
        {
            return EntityUid.TryParse(el.GetString(), out var uid)
                ? uid
                : throw new CedarJsonException($"request.{name}: `{el.GetString()}` is not an entity reference Type::\"id\"");
        }
        return CedarJson.ParseUid(el, "request." + name);
    }

    internal static string Format(string? id, string decision, IEnumerable<string> reasons, IEnumerable<string> errors, string? message)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (id is null)
            {
                w.WriteNull("id");
            }
            else
            {
                w.WriteString("id", id);
            }
            w.WriteString("decision", decision);
            w.WriteStartArray("reasons");
            foreach (var r in reasons)
            {
                w.WriteStringValue(r);
            }
            w.WriteEndArray();
            w.WriteStartArray("errors");
            foreach (var e in errors.Distinct(StringComparer.Ordinal))
            {
                w.WriteStringValue(e);
            }
            w.WriteEndArray();
            if (message is not null)
            {
                w.WriteString("message", message);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
