using Aztp.Core.Internal;
using Microsoft.Extensions.Logging;

namespace Aztp.Core;

/// <summary>
/// The monitoring pipeline. <see cref="EmitAsync"/> puts an event on a bounded queue and returns at once while the
/// queue has room; a background dispatcher redacts each event and hands it, in emission order, to every handler
/// (console line, <see cref="MonitoringOptions.OnEvent"/>, logger bridge, added handlers). Each handler has its own
/// queue and runs isolated. When queues are full, emitters wait (backpressure) — no event is ever dropped.
/// <see cref="FlushAsync"/> and <see cref="DisposeAsync"/> drain everything.
/// </summary>
public sealed class SecurityMonitor : IAsyncDisposable
{
    // The dispatcher takes up to this many events at a time and hands each handler one batch: one wake-up per handler
    // per batch instead of per event. After a batch it lingers so that a steady trickle of events (a few per RPC)
    // gathers into batches too: events arriving during a linger do not wake it, so under steady traffic the dispatcher,
    // its timer and each pump wake about once per linger rather than per call. A flush point, completion or a full
    // batch's backlog ends the linger at once (EventQueue.LingerAsync).
    private const int MaxDispatchBatch = 256;
    private static readonly TimeSpan DispatchLinger = TimeSpan.FromMilliseconds(10);
    private readonly int _dispatchBatch;
    private readonly MonitoringOptions _options;
    private readonly TimeProvider _time;
    private readonly EventQueue _queue;
    // Dispatch batches that every pump has passed, ready for reuse.
    private readonly System.Collections.Concurrent.ConcurrentQueue<EnvelopeBatch> _freeBatches = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _pumpsGate = new();
    private readonly ILogger? _diagnostics;
    private volatile HandlerPump[] _pumps = [];
    private readonly List<IDisposable> _owned = [];
    private volatile SecurityEventFactory _events;
    private readonly Task _dispatcher;
    private int _backpressureActive;
    private long _backpressureEpisodes;
    // Emitted = events accepted by the queue (its reservation count, less flush points) + the monitor's own events.
    private long _internalEmitted;
    private long _flushPoints;
    private long _failures;
    private long _timeouts;
    private long _undelivered;
    private int _disposed;

    /// <summary>Creates and starts a monitor for an agent.</summary>
    /// <param name="agentId">The emitting agent's name.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">Clock for timestamps and timeouts; the system clock by default.</param>
    public SecurityMonitor(string agentId, MonitoringOptions? options = null, TimeProvider? timeProvider = null)
        : this(new SecurityEventFactory(agentId, null, timeProvider), options, timeProvider)
    {
    }

    /// <summary>Creates and starts a monitor whose own events come from a factory.</summary>
    /// <param name="events">Factory for this agent's events (agent name, SPIFFE ID, clock).</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">Clock for timeouts; the factory's clock by default.</param>
    public SecurityMonitor(SecurityEventFactory events, MonitoringOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        _options = options ?? new MonitoringOptions();
        _options.Validate();
        _events = events;
        _time = timeProvider ?? events.TimeProvider;
        _dispatchBatch = Math.Min(MaxDispatchBatch, _options.QueueCapacity);
        _queue = new EventQueue(_options.QueueCapacity, _dispatchBatch);
        _diagnostics = _options.LoggerFactory?.CreateLogger("Aztp.Monitoring");
        if (_options.ConsoleLogging)
        {
            var console = new ConsoleEventWriter(_options.ConsoleOutput);
            _owned.Add(console);
            AddHandler(console);
        }
        if (_options.OnEvent is { } onEvent)
        {
            AddHandler(new DelegateHandler("onEvent", onEvent));
        }
        if (_options.LoggerFactory is { } loggerFactory)
        {
            AddHandler(new LoggingEventHandler(loggerFactory));
        }
        foreach (var handler in _options.Handlers)
        {
            AddHandler(handler);
        }
        _dispatcher = Task.Run(DispatchLoopAsync, CancellationToken.None);
    }

    /// <summary>The factory for this agent's events (agent name and SPIFFE ID filled in).</summary>
    public SecurityEventFactory Events => _events;

    /// <summary>Sets the SPIFFE ID stamped on events made by <see cref="Events"/> from now on.</summary>
    public void SetSpiffeId(string? spiffeId) => _events = _events.WithSpiffeId(spiffeId);

    /// <summary>The current counters.</summary>
    public MonitorStatistics Statistics
    {
        get
        {
            long delivered = 0;
            foreach (var pump in _pumps)
            {
                delivered += pump.Delivered;
            }
            return new MonitorStatistics(
                _queue.Accepted - Interlocked.Read(ref _flushPoints) + Interlocked.Read(ref _internalEmitted), delivered, Interlocked.Read(ref _failures), Interlocked.Read(ref _timeouts),
                Interlocked.Read(ref _backpressureEpisodes), _queue.Count, Interlocked.Read(ref _undelivered));
        }
    }

    /// <summary>
    /// Adds a handler; it receives every event emitted from now on. Handlers are not owned: the caller disposes them
    /// after disposing the monitor.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The monitor has been disposed.</exception>
    public void AddHandler(ISecurityEventHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_pumpsGate)
        {
            // Batches of up to _dispatchBatch events: the pump holds about QueueCapacity events, as before batching.
            var pump = new HandlerPump(handler, this, Math.Max(1, _options.QueueCapacity / _dispatchBatch), _options.HandlerTimeout, _time, _shutdown.Token);
            _pumps = [.. _pumps, pump];
        }
    }

    /// <summary>Adds a delegate handler; it receives every event emitted from now on.</summary>
    public void AddHandler(string name, Func<SecurityEvent, CancellationToken, ValueTask> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        AddHandler(new DelegateHandler(name, handler));
    }

    /// <summary>
    /// Queues an event. Completes synchronously while the queue has room; when it is full the call waits for room
    /// (backpressure) instead of dropping the event, and one <c>monitoring/backpressure</c> event is recorded per episode.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The monitor has been disposed.</exception>
    public ValueTask EmitAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        // Redacted here, on the emitting thread, while the event is still in this core's cache (the dispatcher, on
        // another core, then passes it on without reading its data).
        securityEvent = Prepare(securityEvent);
        if (_queue.TryEnqueue(new Envelope(securityEvent)))
        {
            return ValueTask.CompletedTask;
        }
        return EmitSlowAsync(securityEvent, cancellationToken);
    }

    /// <summary>Waits until every event emitted before this call has been passed to every handler.</summary>
    /// <exception cref="ObjectDisposedException">The monitor has been disposed.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var marker = new FlushMarker();
        await _queue.EnqueueAsync(new Envelope(marker), cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _flushPoints);
        await marker.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting events and drains every queued event through every handler, waiting at most
    /// <see cref="MonitoringOptions.ShutdownTimeout"/>. Deliveries it could not complete are counted in
    /// <see cref="MonitorStatistics.Undelivered"/> and reported on standard error (or the configured logger).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Complete();
        var pumps = _pumps;
        var all = Task.WhenAll(pumps.Select(p => p.Completion).Append(_dispatcher));
        var timeout = _options.ShutdownTimeout;
        var drained = true;
        try
        {
            await (timeout == Timeout.InfiniteTimeSpan ? all : all.WaitAsync(timeout, _time)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            drained = false;
        }
        if (!drained)
        {
            long left = (long)_queue.Count * pumps.Length;
            foreach (var pump in pumps)
            {
                left += pump.Pending;
            }
            Interlocked.Add(ref _undelivered, Math.Max(left, 1));
            await _shutdown.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false);
            ReportUndelivered(left, pumps);
        }
        _shutdown.Dispose();
        if (drained)
        {
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
        }
    }

    /// <summary>Called by a pump after a delivery (or batch) that failed or timed out.</summary>
    internal void OnDelivered(HandlerPump pump, int count, SecurityEvent first, Exception? error, bool timedOut)
    {
        AztpMetrics.QueueDepth.Add(-count);
        if (error is null && !timedOut)
        {
            return;
        }
        AztpMetrics.HandlerFailures.Add(1, new KeyValuePair<string, object?>("handler", pump.Name), new KeyValuePair<string, object?>("kind", timedOut ? "timeout" : "exception"));
        if (timedOut)
        {
            Interlocked.Increment(ref _timeouts);
        }
        else
        {
            Interlocked.Increment(ref _failures);
        }
        // A failure while handling the monitor's own fault events is counted but not re-reported: no feedback loop.
        if (first.Type == SecurityEventType.Monitoring && first.Data.Action is EventActions.HandlerFailed or EventActions.HandlerTimeout)
        {
            return;
        }
        var report = timedOut
            ? _events.HandlerTimeout(pump.Name, first.Id, _options.HandlerTimeout)
            : _events.HandlerFailed(pump.Name, first.Id, error!.GetType().FullName ?? error.GetType().Name);
        EnqueueInternal(report);
    }

    private void EnqueueInternal(SecurityEvent securityEvent)
    {
        Interlocked.Increment(ref _internalEmitted);
        // The monitor's own events bypass the capacity limit: they are few (one per failure or episode) and a pump
        // must never wait on the queue it is draining. Once the dispatcher has ended (a handler failing during the
        // final drain) the event cannot be delivered: it is counted, never silently lost.
        if (!_queue.EnqueueUnbounded(new Envelope(Prepare(securityEvent))))
        {
            Interlocked.Add(ref _undelivered, Math.Max(1, _pumps.Length));
        }
    }

    private async ValueTask EmitSlowAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 || _queue.IsCompleted, this);
        if (Interlocked.CompareExchange(ref _backpressureActive, 1, 0) == 0)
        {
            var episode = Interlocked.Increment(ref _backpressureEpisodes);
            EnqueueInternal(_events.Backpressure(_options.QueueCapacity, episode));
        }
        await _queue.EnqueueAsync(new Envelope(securityEvent), cancellationToken).ConfigureAwait(false);
    }

    private async Task DispatchLoopAsync()
    {
        EnvelopeBatch? buffer = null;
        try
        {
            while (await _queue.WaitForItemsAsync().ConfigureAwait(false))
            {
                while (true)
                {
                    var flushPoint = false;
                    if (buffer is null && !_freeBatches.TryDequeue(out buffer))
                    {
                        buffer = new EnvelopeBatch(_dispatchBatch, _freeBatches);
                    }
                    while (!buffer.IsFull && _queue.TryDequeue(out var item))
                    {
                        // Events were prepared (redacted and counted) when emitted; an item without one is a flush point.
                        buffer.Add(item);
                        flushPoint |= item.Event is null;
                    }
                    _queue.Publish();
                    if (_queue.Count == 0)
                    {
                        // The queue drained: a backpressure episode, if any, is over.
                        Volatile.Write(ref _backpressureActive, 0);
                    }
                    var took = buffer.Count > 0;
                    if (took)
                    {
                        var batch = buffer;
                        buffer = null;
                        await DispatchAsync(batch).ConfigureAwait(false);
                    }
                    if (!_queue.IsEmpty)
                    {
                        if (took)
                        {
                            continue;
                        }
                        // Nothing could be taken although the queue is not empty: a producer has reserved a slot and
                        // not yet written it. The wait below spins politely (yielding) until it has.
                        break;
                    }
                    if (flushPoint || _queue.IsCompleted)
                    {
                        break;
                    }
                    await _queue.LingerAsync(DispatchLinger).ConfigureAwait(false);
                    if (_queue.IsEmpty)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shutdown timed out while a handler queue was full.
        }
        finally
        {
            foreach (var pump in _pumps)
            {
                pump.Complete();
            }
        }
    }

    // Data found clean by the redactor, most recent first. Events share immutable data (the factory reuses a call's
    // request and decision data for the next call, and makes a response's data from the last call's arrays with only
    // durationMs new), and redaction depends on nothing but the data, so data checked once needs no second scan.
    // Emitting threads read and write these slots concurrently without locks: a slot is only ever written with data
    // that was just found clean (a reference write is atomic), and the next index is always read and written in range,
    // so a race can at worst overwrite another thread's entry (costing a later rescan), never admit unchecked data.
    private readonly EventData?[] _cleanData = new EventData?[4];
    private int _cleanNext;
    // String instances found clean, for data that is new each time but made of the same strings (data made outside the
    // factory's reuse, or after the clean-data slots above moved on): those strings are not scanned again.
    private readonly CleanStrings _cleanStrings = new();

    /// <summary>
    /// The work on one event before it is queued: redaction and the event counter. Runs on the emitting thread, any
    /// number at once (internal for the micro-benchmark).
    /// </summary>
    internal SecurityEvent Prepare(SecurityEvent securityEvent)
    {
        var redacted = Redact(securityEvent);
        if (!AztpMetrics.Events.Enabled)
        {
            return redacted;
        }
        AztpMetrics.Events.Add(1,
            new KeyValuePair<string, object?>("type", SecurityEventJson.TypeName(redacted.Type)),
            new KeyValuePair<string, object?>("outcome", SecurityEventJson.OutcomeName(redacted.Outcome)));
        return redacted;
    }

    private SecurityEvent Redact(SecurityEvent securityEvent)
    {
        var data = securityEvent.Data;
        var clean = _cleanData;
        for (var i = 0; i < clean.Length; i++)
        {
            // The same data, or data that differs from it only in one number (an rpc response's durationMs: the
            // factory makes it from the last call's arrays), which redaction never changes.
            if (clean[i] is { } c && (ReferenceEquals(c, data) || data.DiffersAtMostInANumberFrom(c)))
            {
                return securityEvent;
            }
        }
        var redacted = EventRedactor.Redact(securityEvent, _cleanStrings);
        if (ReferenceEquals(redacted, securityEvent))
        {
            var next = Volatile.Read(ref _cleanNext);
            clean[next] = data;
            Volatile.Write(ref _cleanNext, next + 1 == clean.Length ? 0 : next + 1);
        }
        return redacted;
    }

    private async ValueTask DispatchAsync(EnvelopeBatch batch)
    {
        var pumps = _pumps;
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Marker?.Arm(pumps.Length);
        }
        if (pumps.Length == 0)
        {
            batch.Recycle();
            return;
        }
        AztpMetrics.QueueDepth.Add((long)batch.Events * pumps.Length);
        batch.Seal(pumps.Length);
        foreach (var pump in pumps)
        {
            await pump.EnqueueAsync(batch, _shutdown.Token).ConfigureAwait(false);
        }
    }

    private void ReportUndelivered(long count, HandlerPump[] pumps)
    {
        var names = string.Join(", ", pumps.Where(p => p.Pending > 0).Select(p => p.Name));
        if (_diagnostics is not null)
        {
            MonitorLog.Undelivered(_diagnostics, count, _options.ShutdownTimeout, names);
        }
        else
        {
            Console.Error.WriteLine($"[AZTP:MONITOR] shutdown timeout ({_options.ShutdownTimeout.TotalSeconds:0.###} s): {count} event deliveries not completed; handlers: {(names.Length == 0 ? "(in flight)" : names)}");
        }
    }

    private sealed class DelegateHandler(string name, Func<SecurityEvent, CancellationToken, ValueTask> handler) : ISecurityEventHandler
    {
        public string Name => name;

        public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken) => handler(securityEvent, cancellationToken);
    }
}
