using System.Diagnostics.CodeAnalysis;
using System.Text;
using Aztp.Core;
using Aztp.Grpc;

namespace Aztp.Identity.WorkloadApi;

/// <summary>
/// The production identity source: follows the SPIFFE Workload API's X.509-SVID stream (and the JWT bundle stream)
/// and serves this workload's SVID, the trust bundles and JWT-SVIDs through the same interfaces as the key directory.
/// </summary>
/// <remarks>
/// Updates are applied atomically (a new SVID is swapped in whole; bundles are replaced as one set). On a stream error
/// the source reconnects with exponential backoff and jitter while it keeps serving the last good SVID for as long as
/// that SVID is valid; after it expires <see cref="GetX509Svid"/> fails closed. Events: <c>identity/setup_complete</c>,
/// <c>rotated</c>, <c>source_disconnected</c>, <c>source_reconnected</c>, <c>expiring</c>, <c>expired</c>.
/// </remarks>
public sealed class WorkloadApiSource : IX509SvidSource, ITrustBundleSource, IJwtSvidSource, IAsyncDisposable
{
    /// <summary>Event action: the Workload API stream broke; the last good SVID is still served.</summary>
    public const string SourceDisconnectedAction = "source_disconnected";

    /// <summary>Event action: the Workload API stream delivers again after a disconnection.</summary>
    public const string SourceReconnectedAction = "source_reconnected";

    private readonly WorkloadApiClient _client;
    private readonly WorkloadApiSourceOptions _options;
    private readonly TrustBundleSet _bundles = new();
    private readonly Lock _bundleLock = new();
    private readonly Lock _jwtLock = new();
    private readonly Dictionary<string, JwtSvid> _jwtCache = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<string> _expiryReported = new(StringComparer.Ordinal);
    private Dictionary<TrustDomain, TrustBundle> _x509Bundles = [];
    private Dictionary<TrustDomain, TrustBundle> _jwtBundles = [];
    private string _bundleFingerprint = string.Empty;
    private X509Svid? _svid;
    private X509Svid? _retired;
    private Task _x509Loop = Task.CompletedTask;
    private Task _jwtLoop = Task.CompletedTask;
    private Task _expiryLoop = Task.CompletedTask;
    private int _disposed;

    private WorkloadApiSource(WorkloadApiSourceOptions options)
    {
        _options = options;
        _client = new WorkloadApiClient(options.Client);
        _bundles.BundlesChanged += (_, e) => BundlesChanged?.Invoke(this, e);
    }

    /// <inheritdoc/>
    public event EventHandler<X509SvidChangedEventArgs>? SvidChanged;

    /// <inheritdoc/>
    public event EventHandler? BundlesChanged;

    /// <summary>The Workload API endpoint in use.</summary>
    public string Endpoint => _client.Endpoint;

    /// <summary>The trust bundles received so far (own and federated trust domains).</summary>
    public TrustBundleSet Bundles => _bundles;

    /// <summary><see langword="true"/> while the X.509 stream is broken and the source is reconnecting.</summary>
    public bool IsDisconnected { get; private set; }

    /// <summary>The last stream error, if any (no secrets: status and message only).</summary>
    public Exception? LastError { get; private set; }

    /// <inheritdoc/>
    public long Generation => _bundles.Generation;

    /// <summary>
    /// Connects to the Workload API and waits for this workload's first SVID (up to
    /// <see cref="WorkloadApiSourceOptions.InitialFetchTimeout"/>); then follows updates in the background.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid or name no Workload API address.</exception>
    /// <exception cref="WorkloadApiException">
    /// No identity was issued (<see cref="WorkloadApiException.IsNoIdentityIssued"/>), the requested SPIFFE ID is not among
    /// the SVIDs (NOT_FOUND), the answer was malformed, or no SVID arrived in time (DEADLINE_EXCEEDED).
    /// </exception>
    public static async Task<WorkloadApiSource> OpenAsync(WorkloadApiSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WorkloadApiSourceOptions();
        options.Validate();
        var source = new WorkloadApiSource(options);
        source.Start();
        try
        {
            await source._first.Task.WaitAsync(options.InitialFetchTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            var last = source.LastError;
            await source.DisposeAsync().ConfigureAwait(false);
            throw new WorkloadApiException(StatusCode.DeadlineExceeded,
                $"No X.509-SVID from the Workload API at {source.Endpoint} within {options.InitialFetchTimeout.TotalSeconds:0.#} s" +
                (last is null ? "." : $"; last error: {last.Message}"), last ?? e);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var svid = source._svid!;
        if (options.Monitor is { } monitor)
        {
            await monitor.EmitAsync(monitor.Events.IdentitySetupComplete(svid.Id.ToString(), svid.NotAfter, "workload_api"), cancellationToken).ConfigureAwait(false);
        }

        return source;
    }

    /// <summary>The current SVID; call per TLS handshake so rotation needs no restart.</summary>
    /// <exception cref="WorkloadApiException">The last SVID expired and no replacement arrived (fails closed).</exception>
    public X509Svid GetX509Svid()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var svid = Volatile.Read(ref _svid) ?? throw new InvalidOperationException("The source has not received an SVID yet; use WorkloadApiSource.OpenAsync.");
        if (svid.NotAfter <= _options.TimeProvider.GetUtcNow())
        {
            throw new WorkloadApiException(StatusCode.Unavailable,
                $"The X.509-SVID of {svid.Id} expired at {svid.NotAfter:O} and the Workload API at {Endpoint} has not delivered a replacement" +
                (LastError is { } e ? $" (last error: {e.Message})." : "."));
        }

        return svid;
    }

    /// <inheritdoc/>
    public bool TryGetBundle(TrustDomain trustDomain, [NotNullWhen(true)] out TrustBundle? bundle) => _bundles.TryGetBundle(trustDomain, out bundle);

    /// <summary>Fetches a JWT-SVID for this workload's SPIFFE ID; reused while more than half of its lifetime is left.</summary>
    /// <exception cref="WorkloadApiException">The call failed or the answer was malformed.</exception>
    public async ValueTask<JwtSvid> FetchJwtSvidAsync(IReadOnlyList<string> audience, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audience);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var key = string.Join('\n', audience);
        var now = _options.TimeProvider.GetUtcNow();
        lock (_jwtLock)
        {
            if (_jwtCache.TryGetValue(key, out var cached) && cached.Expiry - now > (cached.Expiry - (cached.IssuedAt ?? now)) / 2)
            {
                return cached;
            }
        }

        var id = _options.SpiffeId ?? Volatile.Read(ref _svid)?.Id;
        var svids = await _client.FetchJwtSvidsAsync(audience, id, cancellationToken).ConfigureAwait(false);
        var svid = svids[0];
        lock (_jwtLock)
        {
            _jwtCache[key] = svid;
        }

        return svid;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_x509Loop, _jwtLoop, _expiryLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _retired?.Dispose();
        _svid?.Dispose();
    }

    private void Start()
    {
        _x509Loop = Task.Run(() => RunX509Async(_stop.Token));
        if (_options.WatchJwtBundles)
        {
            _jwtLoop = Task.Run(() => RunJwtBundlesAsync(_stop.Token));
        }

        _expiryLoop = Task.Run(() => RunExpiryChecksAsync(_stop.Token));
    }

    private async Task RunX509Async(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var context in _client.WatchX509ContextsAsync(stop).ConfigureAwait(false))
                {
                    await ApplyAsync(context, stop).ConfigureAwait(false);
                    failures = 0;
                    LastError = null;
                    if (IsDisconnected)
                    {
                        IsDisconnected = false;
                        await EmitAsync(SourceReconnectedAction, EventSeverity.Info, EventOutcome.Success, null, stop).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LastError = e;
                if (!_first.Task.IsCompleted)
                {
                    // Before the first SVID, an answer that will not change by retrying ends OpenAsync at once.
                    if (e is WorkloadApiException { StatusCode: StatusCode.PermissionDenied or StatusCode.InvalidArgument or StatusCode.NotFound })
                    {
                        _first.TrySetException(e);
                        return;
                    }
                }
                else if (!IsDisconnected)
                {
                    IsDisconnected = true;
                    var code = e is WorkloadApiException w ? w.StatusCode.ToString() : e.GetType().Name;
                    await EmitAsync(SourceDisconnectedAction, EventSeverity.Warning, EventOutcome.Failure, code, stop).ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(Backoff(failures++), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunJwtBundlesAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var bundles in _client.WatchJwtBundlesAsync(stop).ConfigureAwait(false))
                {
                    failures = 0;
                    lock (_bundleLock)
                    {
                        _jwtBundles = bundles.ToDictionary(b => b.TrustDomain);
                        PublishBundles();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (WorkloadApiException e) when (e.StatusCode == StatusCode.Unimplemented)
            {
                return; // An agent without JWT support: X.509 still works.
            }
            catch (Exception)
            {
                // The X.509 loop reports disconnections; this one only retries.
            }

            try
            {
                await Task.Delay(Backoff(failures++), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunExpiryChecksAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.ExpiryCheckInterval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await CheckExpiryAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private async Task CheckExpiryAsync(CancellationToken cancellationToken)
    {
        var svid = Volatile.Read(ref _svid);
        if (svid is null || _options.Monitor is not { } monitor)
        {
            return;
        }

        var remaining = svid.NotAfter - _options.TimeProvider.GetUtcNow();
        SecurityEvent? e = null;
        lock (_expiryReported)
        {
            if (remaining <= TimeSpan.Zero && _expiryReported.Add("expired:" + svid.SerialNumber))
            {
                e = monitor.Events.IdentityExpired(svid.Id.ToString(), svid.NotAfter);
            }
            else if (remaining > TimeSpan.Zero && remaining < _options.ExpiringThreshold && _expiryReported.Add("expiring:" + svid.SerialNumber))
            {
                e = monitor.Events.IdentityExpiring(svid.Id.ToString(), svid.NotAfter, remaining);
            }
        }

        if (e is not null)
        {
            await monitor.EmitAsync(e, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(X509Context context, CancellationToken cancellationToken)
    {
        var chosen = context.Find(_options.SpiffeId);
        foreach (var other in context.Svids)
        {
            if (!ReferenceEquals(other, chosen))
            {
                other.Dispose();
            }
        }

        if (chosen is null)
        {
            var ids = string.Join(", ", context.Svids.Select(s => s.Id.ToString()));
            throw new WorkloadApiException(StatusCode.NotFound,
                $"The Workload API at {Endpoint} issued no SVID for {_options.SpiffeId}; it issued: {ids}. Check the registration entries.");
        }

        lock (_bundleLock)
        {
            _x509Bundles = context.Bundles.ToDictionary(b => b.TrustDomain);
            PublishBundles();
        }

        var current = Volatile.Read(ref _svid);
        if (current is not null && current.Certificate.RawDataMemory.Span.SequenceEqual(chosen.Certificate.RawDataMemory.Span))
        {
            chosen.Dispose();
            return;
        }

        // Swap atomically; the previous SVID is disposed one rotation later, so a handshake that just read it can finish.
        var previous = Interlocked.Exchange(ref _svid, chosen);
        var retired = Interlocked.Exchange(ref _retired, previous);
        retired?.Dispose();
        if (previous is null)
        {
            _first.TrySetResult();
            return;
        }

        SvidChanged?.Invoke(this, new X509SvidChangedEventArgs(chosen));
        if (_options.Monitor is { } monitor)
        {
            await monitor.EmitAsync(monitor.Events.IdentityRotated(chosen.Id.ToString(), chosen.NotAfter, chosen.SerialNumber, "x509_svid"), cancellationToken).ConfigureAwait(false);
        }

        await CheckExpiryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Merges the X.509 and JWT authorities per trust domain and replaces the set when anything changed. Caller holds _bundleLock.</summary>
    private void PublishBundles()
    {
        var merged = new List<TrustBundle>();
        var fingerprint = new StringBuilder();
        foreach (var td in _x509Bundles.Keys.Union(_jwtBundles.Keys).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            _x509Bundles.TryGetValue(td, out var x509);
            _jwtBundles.TryGetValue(td, out var jwt);
            var bundle = new TrustBundle(td, x509?.X509Authorities, jwt?.JwtAuthorities.Values, jwt?.SequenceNumber, jwt?.RefreshHint);
            merged.Add(bundle);
            fingerprint.Append(td.Name).Append('|');
            foreach (var cert in bundle.X509Authorities)
            {
                fingerprint.Append(cert.Thumbprint).Append(',');
            }

            foreach (var kid in bundle.JwtAuthorities.Keys.Order(StringComparer.Ordinal))
            {
                fingerprint.Append(kid).Append(',');
            }

            fingerprint.Append(';');
        }

        var text = fingerprint.ToString();
        if (text != _bundleFingerprint)
        {
            _bundleFingerprint = text;
            _bundles.ReplaceAll(merged);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        // Exponential backoff with "equal jitter": half the delay fixed, half random, so restarts do not synchronise clients.
        var ceiling = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private async Task EmitAsync(string action, EventSeverity severity, EventOutcome outcome, string? reason, CancellationToken cancellationToken)
    {
        if (_options.Monitor is not { } monitor)
        {
            return;
        }

        var svid = Volatile.Read(ref _svid);
        var data = EventData.Of(
            new("action", action),
            new("success", outcome == EventOutcome.Success),
            new("spiffeId", svid?.Id.ToString()),
            new("notAfter", svid?.NotAfter.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            new("endpoint", Endpoint),
            new("reason", reason));
        await monitor.EmitAsync(monitor.Events.Create(SecurityEventType.Identity, severity, outcome, data, EventActor.System), cancellationToken).ConfigureAwait(false);
    }
}
