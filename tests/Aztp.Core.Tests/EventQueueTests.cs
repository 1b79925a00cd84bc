using Aztp.Core.Internal;

namespace Aztp.Core.Tests;

/// <summary>
/// The dispatcher's linger between batches: events do not end it (that is its point: one wake-up per linger under a
/// steady trickle), but a flush point, completion or a full batch's backlog must end it at once. Lingers here are an
/// hour long, so a linger that ends did so because something ended it, never because time ran out.
/// </summary>
public sealed class EventQueueTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static Envelope Event(int i) => new(SecurityEvent.Create(SecurityEventType.Rpc, "finance", null, EventSeverity.Info,
        EventOutcome.Success, EventData.Of(new("action", "request_received"), new("n", i))));

    [Fact]
    public async Task Linger_EventsBelowOneBatch_DoNotEndIt_TheBatchThatFillsDoes()
    {
        var queue = new EventQueue(capacity: 64, hurryThreshold: 8);
        var linger = queue.LingerAsync(Hour).AsTask();
        for (var i = 0; i < 7; i++)
        {
            Assert.True(queue.TryEnqueue(Event(i)));
        }
        Assert.True(queue.IsLingering);
        Assert.False(linger.IsCompleted);

        Assert.True(queue.TryEnqueue(Event(7)));

        Assert.False(queue.IsLingering);
        await linger.WaitAsync(Generous);
    }

    [Fact]
    public async Task Linger_FlushPointQueued_EndsItAtOnce()
    {
        var queue = new EventQueue(capacity: 64, hurryThreshold: 8);
        Assert.True(queue.TryEnqueue(Event(0)));
        var linger = queue.LingerAsync(Hour).AsTask();
        Assert.True(queue.IsLingering);

        Assert.True(queue.TryEnqueue(new Envelope(new FlushMarker())));

        Assert.False(queue.IsLingering);
        await linger.WaitAsync(Generous);
    }

    [Fact]
    public async Task Linger_FlushPointQueuedJustBefore_DoesNotStart()
    {
        // The flush point's producer saw no linger to end; the consumer must see the flush point instead.
        var queue = new EventQueue(capacity: 64, hurryThreshold: 8);
        Assert.True(queue.TryEnqueue(new Envelope(new FlushMarker())));

        await queue.LingerAsync(Hour).AsTask().WaitAsync(Generous);

        // That flush point is spent: the next linger waits again (and a batch's backlog ends it).
        var next = queue.LingerAsync(Hour).AsTask();
        Assert.True(queue.IsLingering);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(queue.TryEnqueue(Event(i)));
        }
        await next.WaitAsync(Generous);
    }

    [Fact]
    public async Task Linger_BacklogOfOneBatchBeforeIt_DoesNotStart()
    {
        var queue = new EventQueue(capacity: 64, hurryThreshold: 8);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(queue.TryEnqueue(Event(i)));
        }

        await queue.LingerAsync(Hour).AsTask().WaitAsync(Generous);
        Assert.False(queue.IsLingering);
    }

    [Fact]
    public async Task Linger_Completion_EndsItAtOnce()
    {
        var queue = new EventQueue(capacity: 64, hurryThreshold: 8);
        var linger = queue.LingerAsync(Hour).AsTask();
        Assert.True(queue.IsLingering);

        queue.Complete();

        await linger.WaitAsync(Generous);
        Assert.False(queue.IsLingering);
    }

    [Fact]
    public async Task Linger_EndedRepeatedly_LeavesNoWakeUpBehind()
    {
        // Every ended linger takes exactly the release that ended it: none is left over to cut a later linger short.
        var queue = new EventQueue(capacity: 64, hurryThreshold: 1);
        for (var round = 0; round < 200; round++)
        {
            var linger = queue.LingerAsync(round % 2 == 0 ? Hour : TimeSpan.FromTicks(1)).AsTask();
            Assert.True(queue.TryEnqueue(Event(round)));
            await linger.WaitAsync(Generous);
            Assert.True(queue.TryDequeue(out _));
            queue.Publish();
        }
        var last = queue.LingerAsync(Hour).AsTask();
        Assert.True(queue.IsLingering);
        await Task.Yield();
        Assert.False(last.IsCompleted);
        queue.Complete();
        await last.WaitAsync(Generous);
    }
}
