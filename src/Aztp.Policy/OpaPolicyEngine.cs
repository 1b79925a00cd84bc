using System.Net;
using System.Text;
using System.Text.Json;
using Aztp.Core;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// A remote policy decision point speaking OPA's REST data API: <c>POST /v1/data/&lt;path&gt;</c> with
/// <c>{"input": {"principal", "action", "resource", "context"}}</c> (entity references as <c>{"type","id"}</c>, context in
/// Cedar's JSON value format). The answer's <c>result</c> is either a boolean or an object with <c>allow</c> (and
/// optional <c>reason</c>, <c>policyIds</c>). Fails closed: a timeout, transport error, non-2xx status, undefined or
/// non-boolean result is a deny. Retries transport errors, timeouts and 5xx a bounded number of times, and caches
/// decisions for identical inputs briefly.
/// </summary>
public sealed class OpaPolicyEngine : IPolicyEngine, IDisposable
{
    private readonly OpaOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SecurityMonitor? _monitor;
    private readonly TimeProvider _time;
    private readonly Uri _endpoint;
    private readonly DecisionCache? _cache;

    /// <summary>Creates the engine.</summary>
    /// <param name="options">Where OPA is and how to call it.</param>
    /// <param name="httpClient">A client to use (not disposed by the engine); a new one when null.</param>
    /// <param name="monitor">Receives <c>policy</c>/<c>evaluated</c> events, when given.</param>
    /// <param name="timeProvider">Clock for the cache; the system clock by default.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public OpaPolicyEngine(OpaOptions options, HttpClient? httpClient = null, SecurityMonitor? monitor = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _monitor = monitor;
        _time = timeProvider ?? TimeProvider.System;
        var baseText = options.BaseAddress!.ToString().TrimEnd('/');
        _endpoint = new Uri($"{baseText}/v1/data/{options.DecisionPath.Trim('/')}");
        _cache = options.CacheSize > 0 && options.CacheTtl > TimeSpan.Zero ? new DecisionCache(options.CacheSize) : null;
    }

    /// <summary>The URL decisions are posted to.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Asks OPA for a decision (or reuses a cached one). Never throws for OPA failures: they deny. The input always
    /// carries the full context (a lazy one is built here): OPA's policy may read any of it.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async ValueTask<AuthorizationResponse> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = InputJson(request);
        var now = _time.GetUtcNow();
        if (_cache is null || !_cache.TryGet(body, now, out var response))
        {
            response = await AskAsync(body, cancellationToken).ConfigureAwait(false);
        }
        if (_monitor is not null)
        {
            await _monitor.EmitAsync(PolicyStore.EvaluatedEvent(_monitor.Events, request, response), cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    internal static string InputJson(AuthorizationRequest request)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WritePropertyName("input");
            w.WriteStartObject();
            w.WritePropertyName("principal");
            CedarJsonWriter.WriteUid(w, request.Principal);
            w.WritePropertyName("action");
            CedarJsonWriter.WriteUid(w, request.Action);
            w.WritePropertyName("resource");
            CedarJsonWriter.WriteUid(w, request.Resource);
            w.WritePropertyName("context");
            CedarJsonWriter.Write(w, request.Context.Record);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private async Task<AuthorizationResponse> AskAsync(string body, CancellationToken cancellationToken)
    {
        string failure = "no attempt made";
        var delay = _options.RetryDelay;
        for (var attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay += delay;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var httpResponse = await _http.PostAsync(_endpoint, content, timeout.Token).ConfigureAwait(false);
                var text = await httpResponse.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if ((int)httpResponse.StatusCode >= 500)
                {
                    failure = $"OPA answered {(int)httpResponse.StatusCode} {httpResponse.StatusCode}";
                    continue;
                }
                if (httpResponse.StatusCode != HttpStatusCode.OK)
                {
                    // 4xx: the request itself is wrong (bad path, policy error); retrying cannot help.
                    return Deny($"OPA answered {(int)httpResponse.StatusCode} {httpResponse.StatusCode}");
                }
                var decision = Interpret(text);
                if (_cache is not null && decision.Cacheable)
                {
                    _cache.Put(body, decision.Response, _time.GetUtcNow() + _options.CacheTtl);
                }
                return decision.Response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"OPA did not answer within {_options.Timeout.TotalMilliseconds:0} ms";
            }
            catch (HttpRequestException ex)
            {
                failure = $"OPA unreachable: {ex.HttpRequestError}";
            }
        }
        return Deny($"{failure} (after {_options.MaxRetries + 1} attempts; failing closed)");
    }

    private (AuthorizationResponse Response, bool Cacheable) Interpret(string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return (Deny("OPA answered with invalid JSON (failing closed)"), false);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("result", out var result))
            {
                return (Deny($"OPA decision `{_options.DecisionPath}` is undefined (failing closed)"), true);
            }
            var path = "opa:" + _options.DecisionPath.Trim('/');
            switch (result.ValueKind)
            {
                case JsonValueKind.True:
                    return (new AuthorizationResponse(Decision.Allow, [path], $"allowed by OPA ({path})"), true);
                case JsonValueKind.False:
                    return (new AuthorizationResponse(Decision.Deny, [path], $"denied by OPA ({path})"), true);
                case JsonValueKind.Object when result.TryGetProperty("allow", out var allow) && allow.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    {
                        var allowed = allow.ValueKind == JsonValueKind.True;
                        var ids = new List<string>();
                        if (result.TryGetProperty("policyIds", out var pids) && pids.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var p in pids.EnumerateArray())
                            {
                                if (p.ValueKind == JsonValueKind.String)
                                {
                                    ids.Add(p.GetString()!);
                                }
                            }
                        }
                        if (ids.Count == 0)
                        {
                            ids.Add(path);
                        }
                        var reason = result.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String
                            ? r.GetString()
                            : $"{(allowed ? "allowed" : "denied")} by OPA ({path})";
                        return (new AuthorizationResponse(allowed ? Decision.Allow : Decision.Deny, ids, reason), true);
                    }
                default:
                    return (Deny($"OPA decision `{_options.DecisionPath}` is not a boolean or {{\"allow\": boolean}} (failing closed)"), false);
            }
        }
    }

    private static AuthorizationResponse Deny(string reason) => new(Decision.Deny, [], reason);

    /// <summary>Disposes the HTTP client when the engine created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>A small LRU of decisions keyed by the exact input JSON.</summary>
    private sealed class DecisionCache(int capacity)
    {
        private readonly Dictionary<string, LinkedListNode<(string Key, AuthorizationResponse Response, DateTimeOffset Expires)>> _map = new(StringComparer.Ordinal);
        private readonly LinkedList<(string Key, AuthorizationResponse Response, DateTimeOffset Expires)> _lru = new();
        private readonly Lock _gate = new();

        public bool TryGet(string key, DateTimeOffset now, out AuthorizationResponse response)
        {
            lock (_gate)
            {
                if (_map.TryGetValue(key, out var node))
                {
                    if (node.Value.Expires > now)
                    {
                        _lru.Remove(node);
                        _lru.AddFirst(node);
                        response = node.Value.Response;
                        return true;
                    }
                    _lru.Remove(node);
                    _map.Remove(key);
                }
            }
            response = null!;
            return false;
        }

        public void Put(string key, AuthorizationResponse response, DateTimeOffset expires)
        {
            lock (_gate)
            {
                if (_map.TryGetValue(key, out var existing))
                {
                    _lru.Remove(existing);
                }
                var node = _lru.AddFirst((key, response, expires));
                _map[key] = node;
                while (_map.Count > capacity)
                {
                    var last = _lru.Last!;
                    _lru.RemoveLast();
                    _map.Remove(last.Value.Key);
                }
            }
        }
    }
}
