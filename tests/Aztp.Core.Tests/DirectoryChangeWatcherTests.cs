using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Aztp.Core.Tests;

public sealed class DirectoryChangeWatcherTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aztp-watch-").FullName;
    private readonly Channel<int> _reports = Channel.CreateUnbounded<int>();
    private readonly ConcurrentQueue<SecurityEvent> _events = new();
    private SecurityMonitor _monitor = null!;
    private int _count;

    public Task InitializeAsync()
    {
        _monitor = new SecurityMonitor("watch-tests", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, _) =>
            {
                _events.Enqueue(e);
                return ValueTask.CompletedTask;
            },
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static bool Cedar(string path) => path.EndsWith(".cedar", StringComparison.Ordinal);

    private Task Changed(CancellationToken ct) => _reports.Writer.WriteAsync(Interlocked.Increment(ref _count), ct).AsTask();

    private async Task NextReportAsync() => await _reports.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    private static DirectoryWatchOptions Fast(bool polling = false) => new()
    {
        UsePolling = polling,
        PollInterval = TimeSpan.FromMilliseconds(20),
        Debounce = TimeSpan.FromMilliseconds(30),
    };

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(_dir, name), text);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RelevantChanges_AreReported_IrrelevantOnesAreNot(bool polling)
    {
        await using var watcher = await DirectoryChangeWatcher.StartAsync(_dir, Fast(polling), Cedar, Changed, _monitor, "test");
        Assert.Equal(polling, watcher.IsPolling);
        Assert.Null(watcher.FallbackReason);

        Write("notes.txt", "not watched");
        await Task.Delay(TimeSpan.FromMilliseconds(400)); // many debounce windows and polls
        Assert.Equal(0, Volatile.Read(ref _count));
        Write("a.cedar", "permit(principal, action, resource);");
        await NextReportAsync();
        File.Delete(Path.Combine(_dir, "a.cedar"));
        await NextReportAsync();
        Assert.Equal(2, Volatile.Read(ref _count));

        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        Write(Path.Combine("sub", "c.cedar"), "permit(principal, action, resource);");
        await NextReportAsync();
        await _monitor.FlushAsync();
        Assert.DoesNotContain(_events, e => e.Data.Action == DirectoryChangeWatcher.WatchDegradedAction);
    }

    [Fact]
    public async Task SeveralWritesInTheDebounceWindow_ReportOnce()
    {
        var options = Fast();
        options.Debounce = TimeSpan.FromMilliseconds(300);
        await using var watcher = await DirectoryChangeWatcher.StartAsync(_dir, options, Cedar, Changed, _monitor, "test");
        for (var i = 0; i < 5; i++)
        {
            Write($"p{i}.cedar", "permit(principal, action, resource);");
        }
        await NextReportAsync();
        Write("last.cedar", "permit(principal, action, resource);");
        await NextReportAsync();
        Assert.Equal(2, Volatile.Read(ref _count));
    }

    [Theory]
    [InlineData(typeof(IOException))]
    [InlineData(typeof(PlatformNotSupportedException))]
    [InlineData(typeof(UnauthorizedAccessException))]
    public async Task NotificationsThatCannotStart_FallBackToPolling_WithOneWarning(Type failure)
    {
        var options = Fast();
        options.NotificationFactory = _ => throw (Exception)Activator.CreateInstance(failure, "The configured user limit (128) on the number of inotify instances has been reached")!;
        await using var watcher = await DirectoryChangeWatcher.StartAsync(_dir, options, Cedar, Changed, _monitor, "policy");
        Assert.True(watcher.IsPolling);
        Assert.Equal(failure.Name, watcher.FallbackReason);

        Write("a.cedar", "permit(principal, action, resource);");
        await NextReportAsync();
        await _monitor.FlushAsync();
        var warning = Assert.Single(_events, e => e.Data.Action == DirectoryChangeWatcher.WatchDegradedAction);
        Assert.Equal(SecurityEventType.Monitoring, warning.Type);
        Assert.Equal(EventSeverity.Warning, warning.Severity);
        Assert.Equal(EventOutcome.Failure, warning.Outcome);
        Assert.Equal("policy", warning.Data["component"].AsString());
        Assert.Equal("polling", warning.Data["mode"].AsString());
        Assert.Equal(failure.Name, warning.Data["errorType"].AsString());
        Assert.Equal(20L, warning.Data["pollIntervalMs"].AsInteger());
        Assert.DoesNotContain("inotify", warning.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_NeverOverlap_AndAThrowingReportDoesNotStopTheNext()
    {
        var running = 0;
        var overlapped = false;
        var calls = 0;
        async Task SlowThenThrow(CancellationToken ct)
        {
            overlapped |= Interlocked.Increment(ref running) > 1;
            await Task.Delay(100, ct);
            Interlocked.Decrement(ref running);
            await _reports.Writer.WriteAsync(Interlocked.Increment(ref calls), ct);
            throw new InvalidOperationException("the owner's reload failed");
        }
        var options = Fast();
        options.Debounce = TimeSpan.Zero;
        await using var watcher = await DirectoryChangeWatcher.StartAsync(_dir, options, Cedar, SlowThenThrow, _monitor, "test");
        Write("a.cedar", "1");
        await NextReportAsync();
        for (var i = 0; i < 20; i++)
        {
            Write($"b{i}.cedar", "2");
        }
        await NextReportAsync();
        Assert.False(overlapped);
    }

    [Fact]
    public async Task Dispose_CancelsAndWaitsForTheReportInProgress_ThenReportsNoMore()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = false;
        async Task Blocking(CancellationToken ct)
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                finished = true;
            }
        }
        var watcher = await DirectoryChangeWatcher.StartAsync(_dir, Fast(polling: true), Cedar, Blocking, _monitor, "test");
        Write("a.cedar", "1");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await watcher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(finished);
        await watcher.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task MissingDirectory_IsATypedError()
    {
        var missing = Path.Combine(_dir, "nope");
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => DirectoryChangeWatcher.StartAsync(missing, new DirectoryWatchOptions(), Cedar, Changed, null, "test"));
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int, int, string> BadOptions => new()
    {
        { 0, 200, "PollInterval" },
        { 9, 200, "PollInterval" },
        { 3_600_001, 200, "PollInterval" },
        { 2_000, -1, "Debounce" },
        { 2_000, 60_001, "Debounce" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_OutOfRange_AreRejected(int pollMs, int debounceMs, string name)
    {
        var options = new DirectoryWatchOptions { PollInterval = TimeSpan.FromMilliseconds(pollMs), Debounce = TimeSpan.FromMilliseconds(debounceMs) };
        Assert.Equal(name, Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }
}
