using System.Threading.Channels;

namespace Aztp.Core.Internal;

/// <summary>
/// Delivers events to one handler from its own bounded queue, so a slow handler delays no other handler (until its
/// queue fills, when backpressure reaches emitters: events are never dropped). Each call is isolated: exceptions and
/// timeouts are reported to the monitor, never propagated. The dispatcher hands over events in batches (one queue
/// item, and at most one wake-up of this pump, per batch) — the events themselves are still passed one by one, or in
/// <see cref="IBatchSecurityEventHandler.MaxBatchSize"/> slices to batch handlers.
/// </summary>
internal sealed class HandlerPump
{
    private readonly ISecurityEventHandler _handler;
    private readonly IBatchSecurityEventHandler? _batchHandler;
    private readonly SecurityMonitor _monitor;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Channel<EnvelopeBatch> _queue;
    private readonly CancellationToken _shutdown;
    private List<SecurityEvent> _batch;
    private CancellationTokenSource _callCts;
    // Single-writer counters (no interlocked operations on the per-event path): the dispatcher adds to _queued, this
    // pump's own loop advances _taken and _delivered; readers on other threads see them through volatile reads.
    private long _queued;
    private long _taken;
    private long _delivered;
    // Successful deliveries not yet subtracted from the queue-depth metric (done once per batch).
    private long _depthToRelease;

    /// <param name="handler">The handler.</param>
    /// <param name="monitor">The monitor to report deliveries and faults to.</param>
    /// <param name="batchCapacity">How many dispatcher batches may wait in this pump's queue.</param>
    /// <param name="timeout">Per-call timeout.</param>
    /// <param name="time">Clock for timeouts.</param>
    /// <param name="shutdown">Cancelled when shutdown gives up.</param>
    public HandlerPump(ISecurityEventHandler handler, SecurityMonitor monitor, int batchCapacity, TimeSpan timeout, TimeProvider time, CancellationToken shutdown)
    {
        _handler = handler;
        _batchHandler = handler as IBatchSecurityEventHandler;
        _monitor = monitor;
        _timeout = timeout;
        _time = time;
        _shutdown = shutdown;
        _batch = new List<SecurityEvent>(_batchHandler is null ? 0 : Math.Clamp(_batchHandler.MaxBatchSize, 1, 65536));
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        _queue = Channel.CreateBounded<EnvelopeBatch>(new BoundedChannelOptions(batchCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Completion = Task.Run(RunAsync, CancellationToken.None);
    }

    public string Name => _handler.Name;

    public Task Completion { get; }

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Events still queued (not yet taken by the handler).</summary>
    public long Pending => Math.Max(0, Volatile.Read(ref _queued) - Volatile.Read(ref _taken));

    /// <summary>Queues a batch (events and flush points, in order); the pump releases it once it has passed it.</summary>
    public ValueTask EnqueueAsync(EnvelopeBatch batch, CancellationToken cancellationToken)
    {
        // Only the dispatcher calls this, one batch at a time.
        Volatile.Write(ref _queued, _queued + batch.Events);
        return _queue.Writer.TryWrite(batch) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(batch, cancellationToken);
    }

    public void Complete() => _queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shutdown).ConfigureAwait(false))
            {
                while (reader.TryRead(out var items))
                {
                    // Locals that live across awaits are fields of this method's state machine: they are cleared
                    // after the batch, so a delivered event is not kept reachable until the next batch arrives.
                    Envelope item;
                    for (var i = 0; i < items.Count; i++)
                    {
                        item = items[i];
                        if (item.Marker is { } marker)
                        {
                            await FlushBatchAsync().ConfigureAwait(false);
                            ReleaseDepth();
                            marker.Signal();
                            continue;
                        }
                        Volatile.Write(ref _taken, _taken + 1);
                        if (_batchHandler is null)
                        {
                            await InvokeAsync(item.Event!).ConfigureAwait(false);
                            continue;
                        }
                        _batch.Add(item.Event!);
                        if (_batch.Count >= _batch.Capacity)
                        {
                            await FlushBatchAsync().ConfigureAwait(false);
                        }
                    }
                    // Batch handlers keep the events themselves, not the batch, so it can go back now.
                    item = default;
                    items.Release();
                    items = null!;
                    ReleaseDepth();
                }
                await FlushBatchAsync().ConfigureAwait(false);
                ReleaseDepth();
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shutdown timed out; the monitor counts what is left as undelivered.
        }
    }

    private ValueTask FlushBatchAsync()
    {
        if (_batch.Count == 0)
        {
            return ValueTask.CompletedTask;
        }
        return InvokeBatchAsync();
    }

    private async ValueTask InvokeBatchAsync()
    {
        ValueTask call;
        try
        {
            call = _batchHandler!.HandleBatchAsync(_batch, _callCts.Token);
        }
        catch (Exception ex)
        {
            Completed(_batch.Count, _batch[0], ex, timedOut: false);
            _batch.Clear();
            return;
        }
        if (call.IsCompletedSuccessfully)
        {
            Completed(_batch.Count, _batch[0], null, false);
            _batch.Clear();
            return;
        }
        var first = _batch[0];
        var count = _batch.Count;
        var (error, timedOut) = await AwaitWithTimeoutAsync(call).ConfigureAwait(false);
        Completed(count, first, error, timedOut);
        if (timedOut)
        {
            // The abandoned call may still be reading its list: leave it alone and fill a new one.
            _batch = new List<SecurityEvent>(_batch.Capacity);
        }
        else
        {
            _batch.Clear();
        }
    }

    private ValueTask InvokeAsync(SecurityEvent securityEvent)
    {
        ValueTask call;
        try
        {
            call = _handler.HandleAsync(securityEvent, _callCts.Token);
        }
        catch (Exception ex)
        {
            Completed(1, securityEvent, ex, false);
            return ValueTask.CompletedTask;
        }
        if (call.IsCompletedSuccessfully)
        {
            Completed(1, securityEvent, null, false);
            return ValueTask.CompletedTask;
        }
        return SlowAsync(call, securityEvent);
    }

    private async ValueTask SlowAsync(ValueTask call, SecurityEvent securityEvent)
    {
        var (error, timedOut) = await AwaitWithTimeoutAsync(call).ConfigureAwait(false);
        Completed(1, securityEvent, error, timedOut);
    }

    private async ValueTask<(Exception? Error, bool TimedOut)> AwaitWithTimeoutAsync(ValueTask call)
    {
        var task = call.AsTask();
        if (_timeout == Timeout.InfiniteTimeSpan)
        {
            try
            {
                await task.ConfigureAwait(false);
                return (null, false);
            }
            catch (Exception ex)
            {
                return (ex, false);
            }
        }
        _callCts.CancelAfter(_timeout);
        try
        {
            await task.WaitAsync(_timeout, _time).ConfigureAwait(false);
            if (!_callCts.TryReset())
            {
                ReplaceCallToken();
            }
            return (null, false);
        }
        catch (TimeoutException)
        {
            // Abandon the call: cancel its token and observe its eventual fault so it is never unobserved.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            ReplaceCallToken();
            return (null, true);
        }
        catch (OperationCanceledException) when (_callCts.IsCancellationRequested && !_shutdown.IsCancellationRequested)
        {
            // The handler honoured the timeout token before WaitAsync noticed: still a timeout.
            ReplaceCallToken();
            return (null, true);
        }
        catch (Exception ex)
        {
            if (!_callCts.TryReset())
            {
                ReplaceCallToken();
            }
            return (ex, false);
        }
    }

    private void ReplaceCallToken()
    {
        var old = _callCts;
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(_shutdown);
        try
        {
            old.Cancel();
        }
        finally
        {
            old.Dispose();
        }
    }

    private void Completed(int count, SecurityEvent first, Exception? error, bool timedOut)
    {
        Volatile.Write(ref _delivered, _delivered + count);
        if (error is null && !timedOut)
        {
            _depthToRelease += count;
            return;
        }
        _monitor.OnDelivered(this, count, first, error, timedOut);
    }

    private void ReleaseDepth()
    {
        if (_depthToRelease > 0)
        {
            AztpMetrics.QueueDepth.Add(-_depthToRelease);
            _depthToRelease = 0;
        }
    }
}
