using System.Security.Cryptography;
using System.Text;

namespace Aztp.Core;

/// <summary>
/// Watches a directory (recursively) and reports changes to the files that matter, debounced and one report at a time.
/// Uses file notifications (inotify on Linux); a lost notification (buffer overflow) is reported as a change. Where
/// notifications can't start — the inotify instance limit, an unsupported file system — or when
/// <see cref="DirectoryWatchOptions.UsePolling"/> is set, it polls the files' names, sizes and last write times
/// instead; falling back emits one <c>monitoring</c>/<c>watch_degraded</c> warning. Used by the policy store and the
/// key directory.
/// </summary>
public sealed class DirectoryChangeWatcher : IAsyncDisposable
{
    /// <summary>The <c>action</c> of the event emitted when notifications can't start.</summary>
    public const string WatchDegradedAction = "watch_degraded";

    private readonly string _directory;
    private readonly DirectoryWatchOptions _options;
    private readonly Func<string, bool> _isRelevant;
    private readonly Func<CancellationToken, Task> _onChanged;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _gate = new();
    private readonly Lock _fingerprintGate = new();
    private readonly Timer _debounce;
    private FileSystemWatcher? _notifications;
    private Timer? _poll;
    private string? _fingerprint;
    private Task _pending = Task.CompletedTask;
    private int _polling;
    private int _disposed;

    private DirectoryChangeWatcher(string directory, DirectoryWatchOptions options, Func<string, bool> isRelevant, Func<CancellationToken, Task> onChanged)
    {
        _directory = directory;
        _options = options;
        _isRelevant = isRelevant;
        _onChanged = onChanged;
        _debounce = new Timer(static state => ((DirectoryChangeWatcher)state!).Report(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Whether changes are found by polling (asked for, or because notifications could not start).</summary>
    public bool IsPolling => _poll is not null;

    /// <summary>Why notifications could not start (the exception type), or <see langword="null"/>.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>
    /// Starts watching. <paramref name="onChanged"/> runs after <see cref="DirectoryWatchOptions.Debounce"/> of quiet
    /// following a change to a file for which <paramref name="isRelevant"/> (given the full path) holds; runs never
    /// overlap, and an exception from one is swallowed (the owner reports its own failures).
    /// </summary>
    /// <param name="directory">The directory to watch; it must exist.</param>
    /// <param name="options">How to watch.</param>
    /// <param name="isRelevant">Which files matter, by full path.</param>
    /// <param name="onChanged">What to do after a change; receives a token cancelled at disposal.</param>
    /// <param name="monitor">Where the <c>watch_degraded</c> warning goes, if anywhere.</param>
    /// <param name="component">The owner's name in that warning, for example <c>policy</c>.</param>
    /// <param name="cancellationToken">Cancels emitting the warning.</param>
    /// <exception cref="ArgumentException">The options are invalid or the directory does not exist.</exception>
    public static async Task<DirectoryChangeWatcher> StartAsync(string directory, DirectoryWatchOptions options, Func<string, bool> isRelevant,
        Func<CancellationToken, Task> onChanged, SecurityMonitor? monitor, string component, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(isRelevant);
        ArgumentNullException.ThrowIfNull(onChanged);
        ArgumentException.ThrowIfNullOrEmpty(component);
        options.Validate();
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"The directory to watch, '{full}', does not exist.", nameof(directory));
        }
        var watcher = new DirectoryChangeWatcher(full, options, isRelevant, onChanged);
        if (!options.UsePolling && watcher.TryStartNotifications())
        {
            return watcher;
        }
        watcher.StartPolling();
        if (watcher.FallbackReason is { } reason && monitor is not null)
        {
            await monitor.EmitAsync(monitor.Events.Create(SecurityEventType.Monitoring, EventSeverity.Warning, EventOutcome.Failure, new EventData.Builder
            {
                ["action"] = WatchDegradedAction,
                ["success"] = false,
                ["component"] = component,
                ["mode"] = "polling",
                ["errorType"] = reason,
                ["pollIntervalMs"] = (long)options.PollInterval.TotalMilliseconds,
            }.Build(), EventActor.System), cancellationToken).ConfigureAwait(false);
        }
        return watcher;
    }

    private bool TryStartNotifications()
    {
        FileSystemWatcher? notifications = null;
        try
        {
            notifications = (_options.NotificationFactory ?? (dir => new FileSystemWatcher(dir)))(_directory);
            notifications.IncludeSubdirectories = true;
            notifications.NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;
            notifications.Changed += OnNotification;
            notifications.Created += OnNotification;
            notifications.Deleted += OnNotification;
            notifications.Renamed += OnNotification;
            // A lost notification may hide a change: report one so the owner re-reads.
            notifications.Error += (_, _) => Schedule();
            notifications.EnableRaisingEvents = true;
            _notifications = notifications;
            return true;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            notifications?.Dispose();
            FallbackReason = e.GetType().Name;
            return false;
        }
    }

    private void StartPolling()
    {
        _fingerprint = Fingerprint();
        _poll = new Timer(static state => ((DirectoryChangeWatcher)state!).Poll(), this, _options.PollInterval, _options.PollInterval);
    }

    private void OnNotification(object sender, FileSystemEventArgs e)
    {
        if (_isRelevant(e.FullPath) || (e is RenamedEventArgs r && _isRelevant(r.OldFullPath)) || Directory.Exists(e.FullPath))
        {
            Schedule();
        }
    }

    private void Poll()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _polling, 1) != 0)
        {
            return;
        }
        try
        {
            bool changed;
            lock (_fingerprintGate)
            {
                var now = Fingerprint();
                changed = now != _fingerprint;
                _fingerprint = now;
            }
            if (changed)
            {
                Schedule();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file being replaced or the directory gone for a moment: the next poll looks again.
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    // A hash of the relevant files' relative paths, sizes and last write times.
    private string Fingerprint()
    {
        var files = new List<FileInfo>();
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
        {
            if (_isRelevant(file.FullName))
            {
                files.Add(file);
            }
        }
        files.Sort(static (a, b) => string.CompareOrdinal(a.FullName, b.FullName));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> numbers = stackalloc byte[16];
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(_directory, file.FullName)));
            BitConverter.TryWriteBytes(numbers, file.Length);
            BitConverter.TryWriteBytes(numbers[8..], file.LastWriteTimeUtc.Ticks);
            hash.AppendData(numbers);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private void Schedule()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _debounce.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile.
            }
        }
    }

    private void Report()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        lock (_gate)
        {
            _pending = _pending.ContinueWith(_ => RunAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task RunAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }
        if (_poll is not null)
        {
            // The owner reads the files as they are now: later polls compare with this state, so a write seen half done
            // by an earlier poll doesn't report the same content twice.
            try
            {
                lock (_fingerprintGate)
                {
                    _fingerprint = Fingerprint();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The next poll looks again.
            }
        }
        try
        {
            await _onChanged(_shutdown.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The owner reports its own failures (as events); a watcher never takes the agent down.
        }
    }

    /// <summary>Stops watching and waits for a report in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _notifications?.Dispose();
        if (_poll is not null)
        {
            await _poll.DisposeAsync().ConfigureAwait(false);
        }
        await _debounce.DisposeAsync().ConfigureAwait(false);
        await _shutdown.CancelAsync().ConfigureAwait(false);
        Task pending;
        lock (_gate)
        {
            pending = _pending;
        }
        await pending.ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
