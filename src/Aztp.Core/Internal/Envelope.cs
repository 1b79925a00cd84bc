namespace Aztp.Core.Internal;

/// <summary>One queue item: an event, or a flush point that every handler acknowledges when it reaches it.</summary>
internal readonly struct Envelope
{
    public Envelope(SecurityEvent securityEvent) => Event = securityEvent;

    public Envelope(FlushMarker marker) => Marker = marker;

    public SecurityEvent? Event { get; }

    public FlushMarker? Marker { get; }
}

/// <summary>Completes when every handler pump has passed the point where it was queued.</summary>
internal sealed class FlushMarker
{
    private int _remaining;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Arm(int pumps)
    {
        _remaining = pumps;
        if (pumps == 0)
        {
            Completion.TrySetResult();
        }
    }

    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            Completion.TrySetResult();
        }
    }
}

/// <summary>
/// Events and flush points handed from the dispatcher to every handler pump at once. The dispatcher fills a batch in
/// place; when the last pump has passed it, its slots are cleared (no delivered event stays reachable) and it goes back
/// to its monitor's free list for reuse, so steady traffic allocates no batches. A batch abandoned at a timed-out
/// shutdown is simply left to the garbage collector.
/// </summary>
internal sealed class EnvelopeBatch
{
    private readonly Envelope[] _items;
    private readonly System.Collections.Concurrent.ConcurrentQueue<EnvelopeBatch> _free;
    private int _readers;

    public EnvelopeBatch(int capacity, System.Collections.Concurrent.ConcurrentQueue<EnvelopeBatch> free)
    {
        _items = new Envelope[capacity];
        _free = free;
    }

    public int Count { get; private set; }

    /// <summary>How many of the items are events (the rest are flush points).</summary>
    public int Events { get; private set; }

    public bool IsFull => Count == _items.Length;

    public Envelope this[int index] => _items[index];

    /// <summary>Appends an item (dispatcher only, before <see cref="Seal"/>).</summary>
    public void Add(Envelope item)
    {
        _items[Count++] = item;
        if (item.Event is not null)
        {
            Events++;
        }
    }

    /// <summary>Sets how many pumps will pass the batch; called before it is handed to any of them.</summary>
    public void Seal(int readers) => _readers = readers;

    /// <summary>Called by each pump once it has passed every item; the last one recycles the batch.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _readers) == 0)
        {
            Recycle();
        }
    }

    /// <summary>Clears the items and returns the batch to the free list.</summary>
    public void Recycle()
    {
        Array.Clear(_items, 0, Count);
        Count = 0;
        Events = 0;
        _free.Enqueue(this);
    }
}
