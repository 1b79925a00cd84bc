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
/// Events and flush points handed from the dispatcher to every handler pump at once. The array is rented and goes
/// back to the pool when the last pump has passed the batch (a batch abandoned at a timed-out shutdown is simply left
/// to the garbage collector).
/// </summary>
internal sealed class EnvelopeBatch
{
    private readonly Envelope[] _items;
    private int _readers;

    public EnvelopeBatch(List<Envelope> items, int events, int readers)
    {
        _items = System.Buffers.ArrayPool<Envelope>.Shared.Rent(items.Count);
        items.CopyTo(_items);
        Count = items.Count;
        Events = events;
        _readers = readers;
    }

    public int Count { get; }

    /// <summary>How many of the items are events (the rest are flush points).</summary>
    public int Events { get; }

    public Envelope this[int index] => _items[index];

    /// <summary>Called by each pump once it has passed every item; the last one returns the array.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _readers) == 0)
        {
            System.Buffers.ArrayPool<Envelope>.Shared.Return(_items, clearArray: true);
        }
    }
}
