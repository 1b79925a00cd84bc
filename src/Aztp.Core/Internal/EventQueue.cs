using System.Collections.Concurrent;

namespace Aztp.Core.Internal;

/// <summary>
/// The monitor's intake: a bounded multi-producer, single-consumer queue. Enqueueing while there is room is lock-free
/// (one <see cref="ConcurrentQueue{T}"/> enqueue and one interlocked count); producers wait only when the queue is
/// full, and the consumer is woken only when it has gone to sleep on an empty queue, after a short spin.
/// </summary>
// SemaphoreSlim needs disposing only when its AvailableWaitHandle is used, which this class never does.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "No wait handle is ever created.")]
internal sealed class EventQueue
{
    private const int SpinsBeforeSleep = 64;
    private readonly ConcurrentQueue<Envelope> _items = new();
    private readonly SemaphoreSlim _itemsSignal = new(0);
    private readonly SemaphoreSlim _spaceSignal = new(0);
    private readonly int _capacity;
    private int _count;
    private int _consumerSleeping;
    private int _producersWaiting;
    private volatile bool _completed;

    public EventQueue(int capacity) => _capacity = capacity;

    /// <summary>Items queued now (including reservations in progress).</summary>
    public int Count => Math.Max(0, Volatile.Read(ref _count));

    public bool IsCompleted => _completed;

    /// <summary>Adds an item when there is room; false when full or completed.</summary>
    public bool TryEnqueue(Envelope item)
    {
        if (_completed)
        {
            return false;
        }
        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _items.Enqueue(item);
        WakeConsumer();
        return true;
    }

    /// <summary>Adds an item regardless of capacity (internal events and wake-ups; bounded by their sources).</summary>
    public void EnqueueUnbounded(Envelope item)
    {
        Interlocked.Increment(ref _count);
        _items.Enqueue(item);
        WakeConsumer();
    }

    /// <summary>Adds an item, waiting for room when full.</summary>
    /// <exception cref="ObjectDisposedException">The queue was completed.</exception>
    public async ValueTask EnqueueAsync(Envelope item, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_completed, typeof(SecurityMonitor));
            if (TryEnqueue(item))
            {
                return;
            }
            Interlocked.Increment(ref _producersWaiting);
            try
            {
                // Re-check after announcing ourselves, so a dequeue in between cannot be missed.
                if (Volatile.Read(ref _count) < _capacity || _completed)
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

    /// <summary>Takes the next item, or false when completed and empty. Single consumer only.</summary>
    public async ValueTask<(bool Ok, Envelope Item)> DequeueAsync()
    {
        while (true)
        {
            for (var spin = 0; spin < SpinsBeforeSleep; spin++)
            {
                if (TryDequeue(out var item))
                {
                    return (true, item);
                }
                if (_completed && _items.IsEmpty)
                {
                    return (false, default);
                }
                Thread.SpinWait(8);
            }
            Interlocked.Exchange(ref _consumerSleeping, 1);
            if (TryDequeue(out var late))
            {
                Volatile.Write(ref _consumerSleeping, 0);
                return (true, late);
            }
            if (_completed && _items.IsEmpty)
            {
                return (false, default);
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
        Interlocked.Decrement(ref _count);
        if (Volatile.Read(ref _producersWaiting) > 0)
        {
            _spaceSignal.Release();
        }
        return true;
    }

    /// <summary>Stops intake; the consumer drains what is queued, then ends.</summary>
    public void Complete()
    {
        _completed = true;
        _consumerSleeping = 0;
        _itemsSignal.Release();
        if (Volatile.Read(ref _producersWaiting) > 0)
        {
            _spaceSignal.Release(Volatile.Read(ref _producersWaiting));
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
