using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Aztp.Core.Internal;

/// <summary>
/// The monitor's intake: a bounded multi-producer, single-consumer ring. Enqueueing while there is room costs one
/// compare-and-swap (the reservation of a position) and no allocation; producers wait only when the ring is full, and
/// the consumer is woken only when it has gone to sleep on an empty ring. Items the monitor adds itself (flush points
/// wait like events; its own fault and backpressure reports must never wait) bypass the bound through a small
/// side queue.
/// </summary>
/// <remarks>
/// <para>Each slot carries a sequence number (the position it will next hold, +1 once written), so the consumer takes
/// exactly the items that were published, in reservation order, and a producer never overwrites an item not yet
/// taken. The tail word holds the next position and a completed flag: a producer reserves by a compare-and-swap of the
/// whole word, so a reservation either happened before completion (the consumer waits for it and drains it) or fails
/// and the emitter is refused with <see cref="ObjectDisposedException"/>.</para>
/// <para>The side queue keeps the earlier design: one word holds its item count and an ended flag, a producer
/// reserves (count + 1) before it enqueues, and the consumer ends only by moving the word from zero items to ended in
/// one compare-and-swap; an internal item offered after that is reported as not queued.</para>
/// <para>Wake-ups use the same handshake on both sides: the consumer announces it is going to sleep with an
/// interlocked exchange and then re-reads the tail; a producer reads the announcement after its interlocked
/// reservation. One of the two always sees the other.</para>
/// <para>Between batches the consumer may linger (<see cref="LingerAsync"/>): it waits for more items to gather without
/// being woken by each one, so a steady trickle of items costs one wake-up per linger, not one per item. A linger is cut
/// short, with the same handshake, by a flush point, by completion and by a backlog of a full batch.</para>
/// </remarks>
// SemaphoreSlim needs disposing only when its AvailableWaitHandle is used, which this class never does.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "No wait handle is ever created.")]
internal sealed class EventQueue
{
    private const long CompletedFlag = 1L << 62;
    private const long PositionMask = CompletedFlag - 1;
    private const long EndedFlag = 1L << 61;
    private const long CountMask = EndedFlag - 1;
    private readonly Slot[] _slots;
    private readonly long _mask;
    private readonly int _capacity;
    private readonly ConcurrentQueue<Envelope> _side = new();
    private readonly SemaphoreSlim _itemsSignal = new(0);
    private readonly SemaphoreSlim _spaceSignal = new(0);
    private readonly SemaphoreSlim _lingerSignal = new(0);
    private readonly int _hurryThreshold;
    // Numbers the events this ring accepts: an event's id is its position here (see EventId).
    private readonly EventId.Stream _ids = new();
    // The tail (the next position to reserve, with the completed flag; written only by interlocked operations) and the
    // head (the next position to take; written by the consumer only, published once per batch, see Publish).
    private HotWords _hot;
    private long _published;
    private long _sideState;
    private int _consumerSleeping;
    private int _producersWaiting;
    private int _consumerLingering;
    // Set by a flush point or completion (sticky until the next linger starts), so that one offered just before the
    // consumer announces a linger still ends it at once.
    private int _hurry;

    /// <param name="capacity">How many items the bounded path holds.</param>
    /// <param name="hurryThreshold">A lingering consumer is woken once this many items are queued (one batch).</param>
    public EventQueue(int capacity, int hurryThreshold)
    {
        _capacity = capacity;
        _hurryThreshold = Math.Max(1, hurryThreshold);
        var size = (int)Math.Min(1L << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity)));
        _slots = new Slot[size];
        for (var i = 0; i < size; i++)
        {
            _slots[i].Sequence = i;
        }
        _mask = size - 1;
    }

    /// <summary>Items queued now (including reservations being written).</summary>
    public int Count => (int)Math.Clamp(Position(Volatile.Read(ref _hot.Tail)) - Volatile.Read(ref _hot.Head) + (Volatile.Read(ref _sideState) & CountMask), 0, int.MaxValue);

    /// <summary>How many items were ever accepted through the bounded path.</summary>
    public long Accepted => Position(Volatile.Read(ref _hot.Tail));

    public bool IsCompleted => (Volatile.Read(ref _hot.Tail) & CompletedFlag) != 0;

    /// <summary>True while the consumer lingers and no producer has ended the linger yet.</summary>
    public bool IsLingering => Volatile.Read(ref _consumerLingering) == 1;

    /// <summary>True when nothing is queued (reservations being written count as queued).</summary>
    public bool IsEmpty => Position(Volatile.Read(ref _hot.Tail)) == _hot.Head && _side.IsEmpty;

    /// <summary>Adds an item when there is room; false when full or completed.</summary>
    public bool TryEnqueue(Envelope item)
    {
        var tail = Volatile.Read(ref _hot.Tail);
        while (true)
        {
            if ((tail & CompletedFlag) != 0 || tail - Volatile.Read(ref _published) >= _capacity)
            {
                return false;
            }
            ref var slot = ref _slots[tail & _mask];
            if (Volatile.Read(ref slot.Sequence) != tail)
            {
                // The slot still holds an item not taken (only possible with a stale view of the head): full.
                var now = Volatile.Read(ref _hot.Tail);
                if (now == tail)
                {
                    return false;
                }
                tail = now;
                continue;
            }
            var seen = Interlocked.CompareExchange(ref _hot.Tail, tail + 1, tail);
            if (seen != tail)
            {
                tail = seen;
                continue;
            }
            if (item.Event is { } securityEvent)
            {
                // Fixed before the item is published, so every handler reads the same id.
                securityEvent.FixId(_ids.RunOf(tail, out var offset), offset);
            }
            slot.Item = item;
            Volatile.Write(ref slot.Sequence, tail + 1);
            WakeConsumer();
            if (item.Marker is not null)
            {
                Hurry();
            }
            else if (Volatile.Read(ref _consumerLingering) == 1 && tail + 1 - Volatile.Read(ref _hot.Head) >= _hurryThreshold)
            {
                EndLinger();
            }
            return true;
        }
    }

    /// <summary>
    /// Adds an item regardless of capacity (the monitor's own events; bounded by their sources), also after
    /// completion while the consumer is still draining. False only once the consumer has ended.
    /// </summary>
    public bool EnqueueUnbounded(Envelope item)
    {
        var state = Interlocked.Increment(ref _sideState);
        if ((state & EndedFlag) != 0)
        {
            Interlocked.Decrement(ref _sideState);
            return false;
        }
        _side.Enqueue(item);
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
                if (Position(Volatile.Read(ref _hot.Tail)) - Volatile.Read(ref _published) < _capacity || IsCompleted)
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
        var spin = new SpinWait();
        while (true)
        {
            if (!_side.IsEmpty)
            {
                return true;
            }
            var tail = Volatile.Read(ref _hot.Tail);
            if (Position(tail) != _hot.Head)
            {
                if (Volatile.Read(ref _slots[_hot.Head & _mask].Sequence) == _hot.Head + 1)
                {
                    return true;
                }
                // Reserved but not yet written: the producer is between two instructions.
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            if ((tail & CompletedFlag) != 0)
            {
                // Nothing can be reserved any more; end unless an internal item is on its way.
                if (Interlocked.CompareExchange(ref _sideState, EndedFlag, 0) == 0)
                {
                    return false;
                }
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            Interlocked.Exchange(ref _consumerSleeping, 1);
            if (Position(Volatile.Read(ref _hot.Tail)) != _hot.Head || !_side.IsEmpty || IsCompleted)
            {
                Volatile.Write(ref _consumerSleeping, 0);
                continue;
            }
            await _itemsSignal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits up to <paramref name="linger"/> for items to gather (single consumer, between batches). Returns early when
    /// a flush point is queued, the queue is completed, or a full batch is waiting; items alone do not wake it.
    /// </summary>
    public async ValueTask LingerAsync(TimeSpan linger)
    {
        Interlocked.Exchange(ref _consumerLingering, 1);
        // Re-check after announcing: a flush point, completion or backlog that came before the announcement was not
        // seen by its producer as a linger to end.
        var urgent = Interlocked.Exchange(ref _hurry, 0) != 0 || IsCompleted
            || Position(Volatile.Read(ref _hot.Tail)) - _hot.Head >= _hurryThreshold;
        if (!urgent && await _lingerSignal.WaitAsync(linger).ConfigureAwait(false))
        {
            // A producer ended the linger (it cleared the announcement) and its release was taken here.
            return;
        }
        if (Interlocked.Exchange(ref _consumerLingering, 0) == 0)
        {
            // A producer cleared the announcement after the re-check or as the wait timed out: its release is done or
            // on its way. Take it, so that it cannot cut the next linger short.
            await _lingerSignal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Takes an item without waiting (internal items first). Call <see cref="Publish"/> after a run of takes.</summary>
    public bool TryDequeue(out Envelope item)
    {
        if (!_side.IsEmpty && _side.TryDequeue(out item))
        {
            Interlocked.Decrement(ref _sideState);
            return true;
        }
        var head = _hot.Head;
        ref var slot = ref _slots[head & _mask];
        if (Volatile.Read(ref slot.Sequence) != head + 1)
        {
            item = default;
            return false;
        }
        item = slot.Item;
        // Clear the reference at once: a taken event must not stay reachable from the ring.
        slot.Item = default;
        Volatile.Write(ref slot.Sequence, head + _slots.Length);
        _hot.Head = head + 1;
        return true;
    }

    /// <summary>Makes the room freed by the takes so far visible to producers and wakes those waiting for it.</summary>
    public void Publish()
    {
        var head = _hot.Head;
        var previous = Interlocked.Exchange(ref _published, head);
        var waiting = Volatile.Read(ref _producersWaiting);
        if (waiting > 0 && head > previous)
        {
            _spaceSignal.Release((int)Math.Min(waiting, head - previous));
        }
    }

    /// <summary>Stops intake; the consumer drains what is queued (and what producers already reserved), then ends.</summary>
    public void Complete()
    {
        Interlocked.Or(ref _hot.Tail, CompletedFlag);
        Volatile.Write(ref _consumerSleeping, 0);
        _itemsSignal.Release();
        Hurry();
        var waiting = Volatile.Read(ref _producersWaiting);
        if (waiting > 0)
        {
            _spaceSignal.Release(waiting);
        }
    }

    private static long Position(long tail) => tail & PositionMask;

    private void WakeConsumer()
    {
        if (Volatile.Read(ref _consumerSleeping) == 1 && Interlocked.Exchange(ref _consumerSleeping, 0) == 1)
        {
            _itemsSignal.Release();
        }
    }

    /// <summary>Ends a linger now or, if none is under way, the next one as soon as it starts.</summary>
    private void Hurry()
    {
        Interlocked.Exchange(ref _hurry, 1);
        EndLinger();
    }

    private void EndLinger()
    {
        if (Volatile.Read(ref _consumerLingering) == 1 && Interlocked.Exchange(ref _consumerLingering, 0) == 1)
        {
            _lingerSignal.Release();
        }
    }

    /// <summary>
    /// The two words written on every reservation (producers) and every take (the consumer), each on a cache line of its
    /// own and 128 bytes from anything else (processors that fetch lines in pairs), so that takes do not evict the line
    /// producers reserve on, and neither evicts the read-only fields every producer reads.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 384)]
    private struct HotWords
    {
        [FieldOffset(128)]
        public long Tail;

        [FieldOffset(256)]
        public long Head;
    }

    private struct Slot
    {
        public Envelope Item;
        public long Sequence;
    }
}
