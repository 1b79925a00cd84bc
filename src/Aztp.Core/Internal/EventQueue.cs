using System.Collections.Concurrent;

namespace Aztp.Core.Internal;

/// <summary>
/// The monitor's intake: a bounded multi-producer, single-consumer queue. Enqueueing while there is room is lock-free
/// (one <see cref="ConcurrentQueue{T}"/> enqueue and one interlocked add); producers wait only when the queue is full,
/// and the consumer is woken only when it has gone to sleep on an empty queue.
/// </summary>
/// <remarks>
/// One word holds the item count and two flags, so that completion cannot lose an item: a producer reserves its slot
/// (count + 1) before it enqueues and sees in the same atomic step whether the queue was completed; the consumer ends
/// only by moving the word from "completed, zero items" to "ended" in one compare-and-swap. A producer that reserved
/// before completion is therefore always waited for and delivered; one that reserved after is refused (the emitter
/// gets <see cref="ObjectDisposedException"/>), and an internal item offered after the end is reported as not queued.
/// </remarks>
// SemaphoreSlim needs disposing only when its AvailableWaitHandle is used, which this class never does.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "No wait handle is ever created.")]
internal sealed class EventQueue
{
    private const long CompletedFlag = 1L << 62;
    private const long EndedFlag = 1L << 61;
    private const long CountMask = EndedFlag - 1;
    private readonly ConcurrentQueue<Envelope> _items = new();
    private readonly SemaphoreSlim _itemsSignal = new(0);
    private readonly SemaphoreSlim _spaceSignal = new(0);
    private readonly int _capacity;
    private long _state;
    private int _consumerSleeping;
    private int _producersWaiting;

    public EventQueue(int capacity) => _capacity = capacity;

    /// <summary>Items queued now (including reservations in progress).</summary>
    public int Count => (int)Math.Max(0, Interlocked.Read(ref _state) & CountMask);

    public bool IsCompleted => (Interlocked.Read(ref _state) & CompletedFlag) != 0;

    /// <summary>True when nothing is queued (items being added may still be in flight).</summary>
    public bool IsEmpty => _items.IsEmpty;

    /// <summary>Adds an item when there is room; false when full or completed.</summary>
    public bool TryEnqueue(Envelope item)
    {
        var state = Interlocked.Increment(ref _state);
        if ((state & CompletedFlag) != 0 || (state & CountMask) > _capacity)
        {
            // Undo the reservation only: it freed no real room, so no waiting producer is woken.
            Interlocked.Decrement(ref _state);
            return false;
        }
        _items.Enqueue(item);
        WakeConsumer();
        return true;
    }

    /// <summary>
    /// Adds an item regardless of capacity (internal events and flush points; bounded by their sources), also after
    /// completion while the consumer is still draining. False only once the consumer has ended.
    /// </summary>
    public bool EnqueueUnbounded(Envelope item)
    {
        var state = Interlocked.Increment(ref _state);
        if ((state & EndedFlag) != 0)
        {
            Interlocked.Decrement(ref _state);
            return false;
        }
        _items.Enqueue(item);
        WakeConsumer();
        return true;
    }

    /// <summary>Adds an item, waiting for room when full.</summary>
    /// <exception cref="ObjectDisposedException">The queue was completed.</exception>
    public async ValueTask EnqueueAsync(Envelope item, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(IsCompleted, typeof(SecurityMonitor));
            if (TryEnqueue(item))
            {
                return;
            }
            Interlocked.Increment(ref _producersWaiting);
            try
            {
                // Re-check after announcing ourselves, so a dequeue in between cannot be missed.
                if (Count < _capacity || IsCompleted)
                {
                    continue;
                }
                await _spaceSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _producersWaiting);
            }
        }
    }

    /// <summary>
    /// Waits until an item can be taken (true), or the queue is completed, drained and has ended (false).
    /// Single consumer only.
    /// </summary>
    public async ValueTask<bool> WaitForItemsAsync()
    {
        while (true)
        {
            if (!_items.IsEmpty)
            {
                return true;
            }
            var state = Interlocked.Read(ref _state);
            if ((state & CompletedFlag) != 0)
            {
                if (Interlocked.CompareExchange(ref _state, CompletedFlag | EndedFlag, CompletedFlag) == CompletedFlag)
                {
                    return false;
                }
                // A producer reserved a slot before completion and is about to enqueue: wait for it.
                Thread.Yield();
                continue;
            }
            Interlocked.Exchange(ref _consumerSleeping, 1);
            if (!_items.IsEmpty || IsCompleted)
            {
                Volatile.Write(ref _consumerSleeping, 0);
                continue;
            }
            await _itemsSignal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Takes an item without waiting.</summary>
    public bool TryDequeue(out Envelope item)
    {
        if (!_items.TryDequeue(out item))
        {
            return false;
        }
        Release();
        return true;
    }

    /// <summary>Stops intake; the consumer drains what is queued (and what producers already reserved), then ends.</summary>
    public void Complete()
    {
        Interlocked.Or(ref _state, CompletedFlag);
        Volatile.Write(ref _consumerSleeping, 0);
        _itemsSignal.Release();
        var waiting = Volatile.Read(ref _producersWaiting);
        if (waiting > 0)
        {
            _spaceSignal.Release(waiting);
        }
    }

    private void Release()
    {
        Interlocked.Decrement(ref _state);
        if (Volatile.Read(ref _producersWaiting) > 0)
        {
            _spaceSignal.Release();
        }
    }

    private void WakeConsumer()
    {
        if (Volatile.Read(ref _consumerSleeping) == 1 && Interlocked.Exchange(ref _consumerSleeping, 0) == 1)
        {
            _itemsSignal.Release();
        }
    }
}
