namespace Aztp.Audit.Internal;

/// <summary>
/// The records of one batch, handed from the thread that chains them (serialize + SHA-256) to the thread that stores
/// them while the rest are still being chained. The producer appends and publishes in chunks; the consumer takes what is
/// published, in order. Nothing is shared beyond the array (written before its slots are published) and the counters
/// under the lock.
/// </summary>
internal sealed class ChainBatch
{
    private readonly object _lock = new();
    private readonly AuditRecord[] _records;
    private int _count;
    private int _published;
    private bool _complete;
    private Exception? _error;
    private volatile bool _abandoned;

    public ChainBatch(int capacity)
    {
        _records = new AuditRecord[capacity];
    }

    /// <summary>Producer: records appended so far (published or not).</summary>
    public int Count => _count;

    /// <summary>Producer: true once the consumer gave up on this batch (its store write failed); stop chaining.</summary>
    public bool Abandoned => _abandoned;

    /// <summary>Producer: appends the next record (not yet visible to the consumer).</summary>
    /// <exception cref="InvalidOperationException">More records than the capacity computed for the batch.</exception>
    public void Add(AuditRecord record)
    {
        if (_count == _records.Length)
        {
            throw new InvalidOperationException("A chained batch produced more records than its capacity.");
        }
        _records[_count++] = record;
    }

    /// <summary>Producer: makes every record appended so far visible to the consumer.</summary>
    public void Publish()
    {
        lock (_lock)
        {
            _published = _count;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Producer: the batch is complete (or failed with <paramref name="error"/>).</summary>
    public void Complete(Exception? error)
    {
        lock (_lock)
        {
            _published = _count;
            _error = error;
            _complete = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Consumer: waits until more than <paramref name="consumed"/> records are published, or the batch is complete;
    /// returns the number published (equal to <paramref name="consumed"/> only when the batch is complete).
    /// </summary>
    /// <exception cref="Exception">The producer's failure, rethrown as it was.</exception>
    public int WaitFor(int consumed)
    {
        lock (_lock)
        {
            while (_published <= consumed && !_complete)
            {
                Monitor.Wait(_lock);
            }
            if (_error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
            }
            return _published;
        }
    }

    /// <summary>Rethrows the producer's failure, if it had one (call once the batch is complete).</summary>
    public void ThrowIfFailed()
    {
        lock (_lock)
        {
            if (_error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
            }
        }
    }

    /// <summary>Consumer: a published record.</summary>
    public AuditRecord this[int index] => _records[index];

    /// <summary>Consumer: the store write failed; tells the producer to stop and waits until it has.</summary>
    public void Abandon()
    {
        _abandoned = true;
        lock (_lock)
        {
            while (!_complete)
            {
                Monitor.Wait(_lock);
            }
        }
    }

    /// <summary>Every record, once the batch is complete.</summary>
    public ArraySegment<AuditRecord> Records => new(_records, 0, _count);
}
