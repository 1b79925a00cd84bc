using System.Threading.Channels;
using Aztp.Core;

namespace Aztp.Policy.Tests;

/// <summary>A real SecurityMonitor whose events are collected for assertions; waiting is on a signal, never a sleep.</summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private readonly Channel<SecurityEvent> _events = Channel.CreateUnbounded<SecurityEvent>();

    public EventRecorder()
    {
        Monitor = new SecurityMonitor("policy-tests", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, ct) => _events.Writer.WriteAsync(e, ct),
        });
    }

    public SecurityMonitor Monitor { get; }

    /// <summary>The next event with the given data action (earlier other events are skipped).</summary>
    public async Task<SecurityEvent> NextAsync(string action, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            if (e.Data.Action == action)
            {
                return e;
            }
        }
    }

    /// <summary>Every event up to and including the next one with the given data action.</summary>
    public async Task<List<SecurityEvent>> UntilAsync(string action, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var seen = new List<SecurityEvent>();
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            seen.Add(e);
            if (e.Data.Action == action)
            {
                return seen;
            }
        }
    }

    public ValueTask DisposeAsync() => Monitor.DisposeAsync();
}
