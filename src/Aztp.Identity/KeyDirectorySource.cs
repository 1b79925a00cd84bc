using System.Diagnostics.CodeAnalysis;
using Aztp.Core;

namespace Aztp.Identity;

/// <summary>
/// The embedded, zero-config identity source: this agent's X.509-SVID, the trust bundles (local + federated) and
/// locally minted JWT-SVIDs, all read from a <see cref="KeyDirectory"/>. In development mode a missing directory is
/// created. File changes are re-read without restart: a changed SVID raises <see cref="SvidChanged"/> and
/// <c>identity/rotated</c>; a reload that fails keeps the last good material. A timer raises <c>identity/expiring</c>
/// (and <c>identity/expired</c>) as the SVID nears its end.
/// </summary>
public sealed class KeyDirectorySource : IX509SvidSource, ITrustBundleSource, IJwtSvidSource, IAsyncDisposable
{
    private readonly KeyDirectoryOptions _options;
    private readonly TrustDomain _trustDomain;
    private readonly string _directory;
    private readonly TrustBundleSet _bundles = new();
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly Lock _gate = new();
    private DirectoryChangeWatcher? _watcher;
    private ITimer? _expiryTimer;
    private X509Svid? _svid;
    private JwtSigningKey? _jwtKey;
    private string? _expiringReportedFor;
    private string? _expiredReportedFor;
    private int _disposed;

    private KeyDirectorySource(KeyDirectoryOptions options)
    {
        _options = options;
        _trustDomain = TrustDomain.Parse(options.TrustDomain!);
        _directory = Path.GetFullPath(options.Directory);
    }

    /// <summary>The local trust domain.</summary>
    public TrustDomain TrustDomain => _trustDomain;

    /// <summary>The full path of the key directory.</summary>
    public string DirectoryPath => _directory;

    /// <summary>The bundles (local and federated) as a set.</summary>
    public TrustBundleSet Bundles => _bundles;

    /// <inheritdoc />
    public long Generation => _bundles.Generation;

    /// <inheritdoc />
    public event EventHandler<X509SvidChangedEventArgs>? SvidChanged;

    /// <inheritdoc />
    public event EventHandler? BundlesChanged
    {
        add => _bundles.BundlesChanged += value;
        remove => _bundles.BundlesChanged -= value;
    }

    /// <summary>Raised when a reload after a file change failed (the previous material stays in use).</summary>
    public event EventHandler<IdentityLoadException>? ReloadFailed;

    /// <summary>Opens the source: validates options, creates the directory in development mode, loads, starts watching.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IdentityLoadException">The directory is missing (outside development mode), a key is readable by others, or material is invalid.</exception>
    public static async Task<KeyDirectorySource> OpenAsync(KeyDirectoryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var source = new KeyDirectorySource(options);
        try
        {
            source.CreateIfNeeded();
            source.Load(initial: true);
            var svid = source._svid!;
            if (options.Monitor is { } monitor)
            {
                monitor.SetSpiffeId(svid.Id.ToString());
                await monitor.EmitAsync(monitor.Events.IdentitySetupComplete(svid.Id.ToString(), svid.NotAfter, "key_directory"), cancellationToken).ConfigureAwait(false);
            }
            await source.CheckExpiryAsync(cancellationToken).ConfigureAwait(false);
            await source.StartAsync(cancellationToken).ConfigureAwait(false);
            return source;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public X509Svid GetX509Svid()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Volatile.Read(ref _svid) ?? throw new InvalidOperationException("The key directory source has no SVID.");
    }

    /// <inheritdoc />
    public bool TryGetBundle(TrustDomain trustDomain, [NotNullWhen(true)] out TrustBundle? bundle) => _bundles.TryGetBundle(trustDomain, out bundle);

    /// <summary>Mints a JWT-SVID for this agent with the directory's JWT signing key (development).</summary>
    /// <exception cref="InvalidOperationException">The directory has no <c>jwt-key.pem</c>.</exception>
    public ValueTask<JwtSvid> FetchJwtSvidAsync(IReadOnlyList<string> audience, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audience);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        JwtSigningKey key;
        lock (_gate)
        {
            key = _jwtKey ?? throw new InvalidOperationException($"The key directory '{_directory}' has no {KeyDirectory.JwtKeyFile}; JWT-SVIDs cannot be minted locally.");
            var now = _options.TimeProvider.GetUtcNow();
            return ValueTask.FromResult(JwtSvid.Mint(GetX509Svid().Id, audience, now + _options.JwtSvidLifetime, key, now));
        }
    }

    /// <summary>Re-reads the directory now. Raises rotation events when the SVID changed. Keeps the old material on failure.</summary>
    /// <returns>Whether the reload succeeded.</returns>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }
            X509Svid? rotated;
            try
            {
                rotated = Load(initial: false);
            }
            catch (IdentityLoadException e)
            {
                ReloadFailed?.Invoke(this, e);
                return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ReloadFailed?.Invoke(this, new IdentityLoadException(IdentityLoadError.NotFound, $"Reading the key directory '{_directory}' failed: {e.Message}", e));
                return false;
            }
            if (rotated is not null)
            {
                if (_options.Monitor is { } monitor)
                {
                    await monitor.EmitAsync(monitor.Events.IdentityRotated(rotated.Id.ToString(), rotated.NotAfter, rotated.SerialNumber, "x509_svid"), cancellationToken).ConfigureAwait(false);
                }
                SvidChanged?.Invoke(this, new X509SvidChangedEventArgs(rotated));
                await CheckExpiryAsync(cancellationToken).ConfigureAwait(false);
            }
            return true;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>
    /// Checks the current SVID's remaining validity: below <see cref="KeyDirectoryOptions.ExpiringThreshold"/> emits
    /// <c>identity/expiring</c> once per SVID; past its end emits <c>identity/expired</c> once per SVID.
    /// </summary>
    /// <returns>The time left (negative when expired).</returns>
    public async ValueTask<TimeSpan> CheckExpiryAsync(CancellationToken cancellationToken = default)
    {
        var svid = Volatile.Read(ref _svid);
        if (svid is null)
        {
            return TimeSpan.Zero;
        }
        var remaining = svid.NotAfter - _options.TimeProvider.GetUtcNow();
        var monitor = _options.Monitor;
        if (remaining <= TimeSpan.Zero)
        {
            if (monitor is not null && Interlocked.Exchange(ref _expiredReportedFor, svid.SerialNumber) != svid.SerialNumber)
            {
                await monitor.EmitAsync(monitor.Events.IdentityExpired(svid.Id.ToString(), svid.NotAfter), cancellationToken).ConfigureAwait(false);
            }
        }
        else if (remaining <= _options.ExpiringThreshold)
        {
            if (monitor is not null && Interlocked.Exchange(ref _expiringReportedFor, svid.SerialNumber) != svid.SerialNumber)
            {
                await monitor.EmitAsync(monitor.Events.IdentityExpiring(svid.Id.ToString(), svid.NotAfter, remaining), cancellationToken).ConfigureAwait(false);
            }
        }
        return remaining;
    }

    /// <inheritdoc />
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
        if (_expiryTimer is not null)
        {
            await _expiryTimer.DisposeAsync().ConfigureAwait(false);
        }
        await _reloadGate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                _jwtKey?.Dispose();
                _jwtKey = null;
            }
            // The SVID may still be in use by a handshake that read it; certificates are left to the finalizer.
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private void CreateIfNeeded()
    {
        var agent = _options.AgentName!;
        KeyDirectory.ValidateAgentName(_trustDomain, agent);
        var bundlePath = Path.Combine(_directory, KeyDirectory.BundleFile);
        var svidPath = Path.Combine(_directory, agent, KeyDirectory.SvidFile);
        if (File.Exists(bundlePath) && File.Exists(svidPath))
        {
            return;
        }
        if (!_options.CreateIfMissing)
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound,
                $"The key directory '{_directory}' has no {(File.Exists(bundlePath) ? $"SVID for agent '{agent}'" : KeyDirectory.BundleFile)}; run 'aztp keys init --trust-domain {_trustDomain} --dir {_options.Directory} --agent {agent}' or enable CreateIfMissing in development.");
        }
        if (!File.Exists(bundlePath))
        {
            KeyDirectory.Initialize(_directory, _trustDomain, [agent], _options.SvidLifetime, _options.TimeProvider);
        }
        else
        {
            KeyDirectory.IssueSvid(_directory, agent, _options.SvidLifetime, _options.TimeProvider);
        }
    }

    // Reads everything; swaps in the new material only when all of it is valid. Returns the new SVID if it changed.
    private X509Svid? Load(bool initial)
    {
        var agentDir = Path.Combine(_directory, _options.AgentName!);
        var keyPath = Path.Combine(agentDir, KeyDirectory.KeyFile);
        KeyDirectory.EnsurePrivate(keyPath);
        var svid = X509Svid.Load(Path.Combine(agentDir, KeyDirectory.SvidFile), keyPath);
        try
        {
            if (!svid.Id.IsMemberOf(_trustDomain))
            {
                throw new IdentityLoadException(IdentityLoadError.NotAnSvid, $"The SVID of '{_options.AgentName}' is {svid.Id}, not in trust domain {_trustDomain}.");
            }
            var bundles = KeyDirectory.ReadBundles(_directory, _trustDomain);
            JwtSigningKey? jwtKey = null;
            var jwtKeyPath = Path.Combine(_directory, KeyDirectory.JwtKeyFile);
            if (File.Exists(jwtKeyPath))
            {
                KeyDirectory.EnsurePrivate(jwtKeyPath);
                jwtKey = JwtSigningKey.FromPem(File.ReadAllText(jwtKeyPath));
            }

            var previous = Volatile.Read(ref _svid);
            var changed = previous is null || !previous.Certificate.RawDataMemory.Span.SequenceEqual(svid.Certificate.RawDataMemory.Span);
            lock (_gate)
            {
                _jwtKey?.Dispose();
                _jwtKey = jwtKey;
            }
            if (!SameBundles(bundles))
            {
                _bundles.ReplaceAll(bundles);
            }
            if (changed)
            {
                Volatile.Write(ref _svid, svid);
                return initial ? null : svid;
            }
            svid.Dispose();
            return null;
        }
        catch
        {
            svid.Dispose();
            throw;
        }
    }

    private bool SameBundles(IReadOnlyList<TrustBundle> bundles)
    {
        if (_bundles.Count != bundles.Count)
        {
            return false;
        }
        foreach (var bundle in bundles)
        {
            if (!_bundles.TryGetBundle(bundle.TrustDomain, out var current) || current.ToSpiffeBundleJson() != bundle.ToSpiffeBundleJson())
            {
                return false;
            }
        }
        return true;
    }

    private async Task StartAsync(CancellationToken ct)
    {
        var time = _options.TimeProvider;
        _expiryTimer = time.CreateTimer(static state => _ = ((KeyDirectorySource)state!).CheckExpirySafelyAsync(), this,
            _options.ExpiryCheckInterval, _options.ExpiryCheckInterval);
        if (!_options.WatchForChanges)
        {
            return;
        }
        // Debounce: an editor or a rotation writes several files; reload once after they settle.
        var watch = new DirectoryWatchOptions { UsePolling = _options.UsePolling, PollInterval = _options.PollInterval, Debounce = TimeSpan.FromMilliseconds(150) };
        _watcher = await DirectoryChangeWatcher.StartAsync(_directory, watch, static _ => true, ReloadAsync, _options.Monitor, "key_directory", ct).ConfigureAwait(false);
    }

    private async Task CheckExpirySafelyAsync()
    {
        try
        {
            await CheckExpiryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The monitor was disposed first.
        }
    }
}
