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
