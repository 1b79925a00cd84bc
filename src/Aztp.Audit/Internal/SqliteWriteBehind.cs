using System.Threading.Channels;

namespace Aztp.Audit.Internal;

/// <summary>
/// The opt-in write-behind writer of <see cref="SqliteAuditSink"/>: batches are queued (bounded) and one background
/// loop commits everything queued so far in a single transaction, so the sink chains the next batch while the previous
/// one commits, and batches that arrive during a commit share the next one (group commit).
/// After a failed commit every batch queued behind it is discarded (each chains onto the failed one) and the fault is
/// reported to the next <see cref="EnqueueAsync"/> or <see cref="FlushAsync"/>; <see cref="WhenIdleAsync"/> then lets
/// the sink read the stored tail and continue the chain from there.
/// </summary>
internal sealed class SqliteWriteBehind
{
    private readonly Channel<IReadOnlyList<AuditRecord>> _channel;
    private readonly Action<List<IReadOnlyList<AuditRecord>>> _commit;
    private readonly Lock _lock = new();
    private readonly Task _loop;
    private TaskCompletionSource _idle = NewIdle(completed: true);
    private int _pending;
    private long _storedSeq;
    private Exception? _fault;

    /// <param name="capacity">Batches queued before <see cref="EnqueueAsync"/> waits.</param>
    /// <param name="commit">Writes the batches, in order, in one transaction (synchronous; runs on the loop).</param>
    /// <param name="storedSeq">The seq of the last record already in the store.</param>
    public SqliteWriteBehind(int capacity, Action<List<IReadOnlyList<AuditRecord>>> commit, long storedSeq)
    {
        _commit = commit;
        _storedSeq = storedSeq;
        _channel = Channel.CreateBounded<IReadOnlyList<AuditRecord>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The seq of the last committed record.</summary>
    public long StoredSeq => Interlocked.Read(ref _storedSeq);

    /// <summary>Queues a batch; waits while the queue is full. Throws the fault of an earlier failed commit instead.</summary>
    public async ValueTask EnqueueAsync(IReadOnlyList<AuditRecord> records)
    {
        lock (_lock)
        {
            ThrowIfFaulted();
            if (_pending++ == 0)
            {
                _idle = NewIdle(completed: false);
            }
        }
        try
        {
            await _channel.Writer.WriteAsync(records).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            Done(1, lastSeq: 0);
            throw new ObjectDisposedException("The SQLite audit sink is closing.", ex);
        }
    }

    /// <summary>Waits until every queued batch is committed; throws when a commit failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await WhenIdleAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            ThrowIfFaulted();
        }
    }

    /// <summary>
    /// Waits until no batch is queued or being committed, then clears a recorded fault (the caller is about to read the
    /// store's tail and continue from it).
    /// </summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        Task idle;
        lock (_lock)
        {
            idle = _idle.Task;
        }
        await idle.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets a reported fault once the sink has resynchronized with the store.</summary>
    public void ClearFault()
    {
        lock (_lock)
        {
            _fault = null;
        }
    }

    /// <summary>Commits what is queued and stops the loop.</summary>
    public async Task CompleteAsync()
    {
        _channel.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        var work = new List<IReadOnlyList<AuditRecord>>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            work.Clear();
            while (reader.TryRead(out var batch))
            {
                work.Add(batch);
            }
            if (work.Count == 0)
            {
                continue;
            }
            bool discard;
            lock (_lock)
            {
                discard = _fault is not null;
            }
            var lastSeq = 0L;
            if (!discard)
            {
                try
                {
                    _commit(work);
                    lastSeq = work[^1][^1].Seq;
                }
#pragma warning disable CA1031 // Any failure must reach the sink's next call instead of killing the loop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    lock (_lock)
                    {
                        _fault = ex;
                    }
                }
            }
            Done(work.Count, lastSeq);
        }
    }

    private void Done(int batches, long lastSeq)
    {
        if (lastSeq > 0)
        {
            Interlocked.Exchange(ref _storedSeq, lastSeq);
        }
        lock (_lock)
        {
            _pending -= batches;
            if (_pending == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new AuditStoreException(
                $"A write-behind commit to the SQLite audit database failed ({fault.GetType().Name}: {fault.Message}); the batches queued " +
                "since were not stored. The sink continues the chain from the stored tail.", fault);
        }
    }

    private static TaskCompletionSource NewIdle(bool completed)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            tcs.SetResult();
        }
        return tcs;
    }
}
