using System.Net.Http.Headers;
using System.Threading.Channels;
using Aztp.Core;

namespace Aztp.Audit;

/// <summary>
/// Raises alerts on failures and denials: when <see cref="AlertOptions.Threshold"/> matching events of one
/// (type, action, peer) arrive within <see cref="AlertOptions.Window"/>, one alert goes to the webhook and/or delegate,
/// then that key is quiet for <see cref="AlertOptions.DeduplicationWindow"/>. Delivery runs in the background, so the
/// handler never blocks the monitor; a failed or dropped delivery becomes a <c>monitoring/alert_delivery_failed</c>
/// event on the monitor given at construction.
/// </summary>
public sealed class AlertHandler : ISecurityEventHandler, IAsyncDisposable
{
    /// <summary>The <c>data.action</c> of the monitoring event reporting a failed delivery.</summary>
    public const string DeliveryFailedAction = "alert_delivery_failed";

    private readonly AlertOptions _options;
    private readonly SecurityMonitor? _monitor;
    private readonly Channel<AuditAlert> _pending;
    private readonly Dictionary<(string, string?, string?), KeyState> _keys = [];
    private readonly Lock _gate = new();
    private readonly HttpClient? _ownedClient;
    private readonly Task _delivery;
    private long _delivered;
    private long _failed;
    private int _disposed;

    /// <summary>Creates the handler and starts its delivery loop.</summary>
    /// <param name="options">Where alerts go and when.</param>
    /// <param name="monitor">Receives <c>monitoring</c> events for failed deliveries; none when null.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public AlertHandler(AlertOptions options, SecurityMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _monitor = monitor;
        if (options.WebhookUrl is not null && options.HttpClient is null)
        {
            _ownedClient = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        }
        _pending = Channel.CreateBounded<AuditAlert>(new BoundedChannelOptions(options.MaxPendingAlerts)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _delivery = Task.Run(DeliverLoopAsync, CancellationToken.None);
    }

    /// <inheritdoc/>
    public string Name => "alerts";

    /// <summary>Alerts delivered successfully.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Alerts that failed or were dropped because too many were pending.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <inheritdoc/>
    public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        if (!Matches(securityEvent))
        {
            return ValueTask.CompletedTask;
        }
        var alert = Count(securityEvent);
        if (alert is not null && !_pending.Writer.TryWrite(alert))
        {
            // Never wait for delivery here: drop the alert and say so.
            Interlocked.Increment(ref _failed);
            Report(alert, "queue_full", null);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Delivers the alerts already raised (up to the delivery timeout each), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _pending.Writer.TryComplete();
        await _delivery.ConfigureAwait(false);
        _ownedClient?.Dispose();
    }

    private bool Matches(SecurityEvent e)
    {
        if (e.Type == SecurityEventType.Monitoring && e.Data.Action == DeliveryFailedAction)
        {
            return false;
        }
        return _options.Filter is { } filter
            ? filter(e)
            : e.Outcome is EventOutcome.Failure or EventOutcome.Denied or EventOutcome.Error;
    }

    private AuditAlert? Count(SecurityEvent e)
    {
        var peer = e.Data.TryGetValue("peer", out var p) && p.AsString() is { } ps ? ps
            : e.Data.TryGetValue("principal", out var pr) && pr.AsString() is { } prs ? prs
            : e.Actor?.Id ?? e.Actor?.Ip;
        var key = (SecurityEventJson.TypeName(e.Type), e.Data.Action, peer);
        var now = _options.TimeProvider.GetUtcNow();
        lock (_gate)
        {
            if (!_keys.TryGetValue(key, out var state))
            {
                if (_keys.Count >= 10_000)
                {
                    Sweep(now);
                }
                state = new KeyState();
                _keys[key] = state;
            }
            state.LastActivity = now;
            state.Times.Enqueue(now);
            while (state.Times.Count > 0 && (now - state.Times.Peek() >= _options.Window || state.Times.Count > _options.Threshold))
            {
                state.Times.Dequeue();
            }
            if (state.LastAlert is { } last && now - last < _options.DeduplicationWindow)
            {
                state.Suppressed++;
                return null;
            }
            if (state.Times.Count < _options.Threshold)
            {
                return null;
            }
            var alert = new AuditAlert(key.Item1, key.Action, peer, state.Times.Count, state.Suppressed, state.Times.Peek(), now, e);
            state.Times.Clear();
            state.Suppressed = 0;
            state.LastAlert = now;
            return alert;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        var idle = _options.Window > _options.DeduplicationWindow ? _options.Window : _options.DeduplicationWindow;
        foreach (var (k, s) in _keys.ToList())
        {
            if (now - s.LastActivity >= idle)
            {
                _keys.Remove(k);
            }
        }
    }

    private async Task DeliverLoopAsync()
    {
        await foreach (var alert in _pending.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            using var timeout = new CancellationTokenSource(_options.DeliveryTimeout);
            try
            {
                if (_options.Deliver is { } deliver)
                {
                    await deliver(alert, timeout.Token).ConfigureAwait(false);
                }
                if (_options.WebhookUrl is { } url)
                {
                    using var content = new ByteArrayContent(alert.ToJsonBytes());
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                    using var response = await (_options.HttpClient ?? _ownedClient!).PostAsync(url, content, timeout.Token).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref _failed);
                        Report(alert, "http_status", (int)response.StatusCode);
                        continue;
                    }
                }
                Interlocked.Increment(ref _delivered);
            }
#pragma warning disable CA1031 // A delivery fault of any kind must become a monitoring event, never escape the loop.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failed);
                Report(alert, ex is OperationCanceledException ? "timeout" : ex.GetType().FullName ?? ex.GetType().Name, null);
            }
        }
    }

    private void Report(AuditAlert alert, string error, int? status)
    {
        if (_monitor is null)
        {
            return;
        }
        var builder = new EventData.Builder
        {
            ["action"] = DeliveryFailedAction,
            ["success"] = false,
            ["handler"] = Name,
            ["alertType"] = alert.Type,
            ["error"] = error,
        };
        if (alert.Action is not null)
        {
            builder["alertAction"] = alert.Action;
        }
        if (alert.Peer is not null)
        {
            builder["peer"] = alert.Peer;
        }
        if (status is not null)
        {
            builder["statusCode"] = status.Value;
        }
        // An internal fault of the pipeline: error + error (docs/events.md).
        var report = _monitor.Events.Create(SecurityEventType.Monitoring, EventSeverity.Error, EventOutcome.Error, builder.Build(), EventActor.System);
        try
        {
            var pending = _monitor.EmitAsync(report);
            if (!pending.IsCompletedSuccessfully)
            {
                _ = pending.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
        catch (ObjectDisposedException)
        {
            // The monitor is shutting down; the failure is still counted in Failed.
        }
    }

    private sealed class KeyState
    {
        public Queue<DateTimeOffset> Times { get; } = new();

        public DateTimeOffset? LastAlert { get; set; }

        public long Suppressed { get; set; }

        public DateTimeOffset LastActivity { get; set; }
    }
}
