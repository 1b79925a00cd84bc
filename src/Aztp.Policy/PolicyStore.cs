using System.Security.Cryptography;
using System.Text;
using Aztp.Core;

namespace Aztp.Policy;

/// <summary>
/// The active Cedar policies and entities of an agent: from strings, or from a directory of <c>.cedar</c> files plus
/// <c>entities.json</c> with hot reload. A reload that fails (parse error, malformed entities, unreadable file) is
/// rejected and the last good set stays active. Emits <c>policy</c>/<c>loaded</c>, <c>policy</c>/<c>reload_failed</c>
/// and <c>policy</c>/<c>evaluated</c> events when given a <see cref="SecurityMonitor"/>.
/// </summary>
public sealed class PolicyStore : IPolicyEngine, IAsyncDisposable
{
    private readonly PolicyStoreOptions? _options;
    private readonly SecurityMonitor? _monitor;
    private readonly bool _emitEvaluated;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private DirectoryChangeWatcher? _watcher;
    private volatile PolicySnapshot _current;
    private int _disposed;

    private PolicyStore(PolicySnapshot initial, PolicyStoreOptions? options, SecurityMonitor? monitor, bool emitEvaluated)
    {
        _current = initial;
        _options = options;
        _monitor = monitor;
        _emitEvaluated = emitEvaluated;
    }

    /// <summary>The active snapshot. Reads are lock-free; a reload swaps it atomically.</summary>
    public PolicySnapshot Current => _current;

    /// <summary>
    /// Creates a store from policy text (and optionally entities JSON). Policies are named <c>policy0</c>, … in order.
    /// </summary>
    /// <exception cref="PolicyParseException">The policies are not valid Cedar.</exception>
    /// <exception cref="CedarJsonException">The entities are malformed.</exception>
    public static PolicyStore FromText(string policies, string? entitiesJson = null, SecurityMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var set = PolicySet.Parse(policies);
        var entities = entitiesJson is null ? EntityStore.Empty : EntityStore.FromJson(entitiesJson);
        var hash = Hash([("policies", policies), ("entities", entitiesJson ?? string.Empty)]);
        return new PolicyStore(new PolicySnapshot(set, entities, hash, null, DateTimeOffset.UtcNow), null, monitor, emitEvaluated: true);
    }

    /// <summary>
    /// Loads a policy directory and, when <see cref="PolicyStoreOptions.WatchForChanges"/> is set, watches it. The first
    /// load must succeed: there is no earlier good set to fall back to.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="PolicyParseException">A policy file is not valid Cedar (file, line and column in the exception).</exception>
    /// <exception cref="CedarJsonException">The entities file is malformed.</exception>
    public static async Task<PolicyStore> OpenAsync(PolicyStoreOptions options, SecurityMonitor? monitor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        PolicySnapshot first;
        try
        {
            first = await LoadDirectoryAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PolicyParseException or CedarJsonException)
        {
            if (monitor is not null)
            {
                await monitor.EmitAsync(ReloadFailedEvent(monitor, ex, options.PolicyDir), cancellationToken).ConfigureAwait(false);
            }
            throw;
        }
        var store = new PolicyStore(first, options, monitor, options.EmitEvaluatedEvents);
        if (monitor is not null)
        {
            await monitor.EmitAsync(monitor.Events.PolicyLoaded(first.ContentHash, first.Policies.Count, first.Source), cancellationToken).ConfigureAwait(false);
        }
        if (options.WatchForChanges)
        {
            var watch = new DirectoryWatchOptions
            {
                UsePolling = options.UsePolling,
                PollInterval = options.PollInterval,
                Debounce = options.ReloadDebounce,
            };
            var entitiesFile = options.EntitiesFileName;
            store._watcher = await DirectoryChangeWatcher.StartAsync(options.PolicyDir!, watch,
                path => path.EndsWith(PolicyFiles.Extension, StringComparison.OrdinalIgnoreCase) || string.Equals(Path.GetFileName(path), entitiesFile, StringComparison.Ordinal),
                ct => store.ReloadAsync(ct), monitor, "policy", cancellationToken).ConfigureAwait(false);
        }
        return store;
    }

    /// <summary>
    /// Authorizes a request against the active snapshot (no event; see <see cref="AuthorizeAsync"/>). The snapshot is
    /// taken first; a context given by a <see cref="CedarContextSource"/> is then built only when that snapshot's
    /// policies read it, so a reload in between can never decide a context-reading set without its context.
    /// </summary>
    public AuthorizationResponse Authorize(AuthorizationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = _current;
        return CedarAuthorizer.Authorize(snapshot.Policies, snapshot.Entities, request);
    }

    /// <summary>
    /// Authorizes a request against the active snapshot, as <see cref="Authorize"/> does, and emits a
    /// <c>policy</c>/<c>evaluated</c> event (when a monitor is set).
    /// </summary>
    public async ValueTask<AuthorizationResponse> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = Authorize(request);
        if (_monitor is not null && _emitEvaluated)
        {
            await _monitor.EmitAsync(EvaluatedEvent(_monitor.Events, request, response), cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    /// <summary>
    /// The <c>policy</c>/<c>evaluated</c> event for a decision: allowed, principal (the caller's id), method (the
    /// action's id), the determining policies by <c>@id</c>, and the <c>@reason</c> or a generated reason.
    /// </summary>
    public static SecurityEvent EvaluatedEvent(SecurityEventFactory events, AuthorizationRequest request, AuthorizationResponse response)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        List<string>? errors = null;
        if (response.Errors.Count > 0)
        {
            errors = new List<string>(response.Errors.Count);
            foreach (var e in response.Errors)
            {
                errors.Add(e.PolicyId);
            }
        }
        return events.PolicyEvaluated(response.IsAllowed, request.Principal.Id, request.Action.Id, response.Explain(),
            response.PolicyNames, errors, request.Resource.Id);
    }

    /// <summary>
    /// Re-reads the policy directory now. A set that fails to load is rejected and the last good set stays active.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store was created from strings (nothing to reload).</exception>
    public async Task<PolicyReloadResult> ReloadAsync(CancellationToken cancellationToken = default)
    {
        var options = _options ?? throw new InvalidOperationException("This store was created from strings; only a directory-backed store can reload.");
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            PolicySnapshot next;
            try
            {
                next = await LoadDirectoryAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PolicyParseException or CedarJsonException or IOException or UnauthorizedAccessException)
            {
                if (_monitor is not null)
                {
                    await _monitor.EmitAsync(ReloadFailedEvent(_monitor, ex, options.PolicyDir), cancellationToken).ConfigureAwait(false);
                }
                return PolicyReloadResult.Failed;
            }
            if (next.ContentHash == _current.ContentHash)
            {
                return PolicyReloadResult.Unchanged;
            }
            _current = next;
            if (_monitor is not null)
            {
                await _monitor.EmitAsync(_monitor.Events.PolicyLoaded(next.ContentHash, next.Policies.Count, next.Source), cancellationToken).ConfigureAwait(false);
            }
            return PolicyReloadResult.Loaded;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private static SecurityEvent ReloadFailedEvent(SecurityMonitor monitor, Exception ex, string? source) => ex switch
    {
        PolicyParseException p => monitor.Events.PolicyReloadFailed(p.Detail, p.FileName, p.Line, p.Column, source),
        // IO messages can carry paths only; parse messages carry positions, never secrets.
        _ => monitor.Events.PolicyReloadFailed(ex.Message, null, null, null, source),
    };

    private static async Task<PolicySnapshot> LoadDirectoryAsync(PolicyStoreOptions options, CancellationToken ct)
    {
        var dir = Path.GetFullPath(options.PolicyDir!);
        var files = PolicyFiles.Enumerate(dir);
        var sources = new List<(string, string)>(files.Count);
        var hashed = new List<(string, string)>(files.Count + 1);
        foreach (var f in files)
        {
            var text = await File.ReadAllTextAsync(f, ct).ConfigureAwait(false);
            sources.Add((f, text));
            hashed.Add((Path.GetRelativePath(dir, f), text));
        }
        var set = PolicySet.Parse(sources);
        var entitiesPath = Path.Combine(dir, options.EntitiesFileName);
        var entities = EntityStore.Empty;
        if (File.Exists(entitiesPath))
        {
            var json = await File.ReadAllTextAsync(entitiesPath, ct).ConfigureAwait(false);
            hashed.Add((options.EntitiesFileName, json));
            try
            {
                entities = EntityStore.FromJson(json);
            }
            catch (CedarJsonException ex)
            {
                throw new CedarJsonException($"{entitiesPath}: {ex.Message}", ex);
            }
        }
        return new PolicySnapshot(set, entities, Hash(hashed), dir, DateTimeOffset.UtcNow);
    }

    private static string Hash(IEnumerable<(string Name, string Content)> parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, content) in parts)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(content));
            sha.AppendData([0]);
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Stops watching and waits for a reload in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
        }
        // A direct ReloadAsync in progress finishes before the gate goes away.
        await _reloadGate.WaitAsync().ConfigureAwait(false);
        _reloadGate.Dispose();
    }
}
