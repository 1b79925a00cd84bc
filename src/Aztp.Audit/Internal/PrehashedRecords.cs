using System.Runtime.ExceptionServices;

namespace Aztp.Audit.Internal;

/// <summary>
/// Reads a store's records ahead in blocks and recomputes each record's hash for the whole block on all cores before
/// handing the records out in order. A record's hash depends only on its own stored <c>prevHash</c> and payload, so
/// the checks are independent; the verifier's walk (links, seqs, checkpoints, classification) stays sequential and
/// sees exactly the records and the store error it would have seen reading one by one, in the same order.
/// </summary>
internal sealed class PrehashedRecords : IAsyncEnumerator<AuditRecord>
{
    private const int BlockSize = 2048;
    private const int MinRecordsPerWorker = 256;
    private readonly IAsyncEnumerator<AuditRecord> _inner;
    private readonly AuditRecord[] _block = new AuditRecord[BlockSize];
    private readonly bool[] _hashValid = new bool[BlockSize];
    private int _count;
    private int _index = -1;
    private bool _innerDone;
    private ExceptionDispatchInfo? _pendingError;

    public PrehashedRecords(IAsyncEnumerator<AuditRecord> inner)
    {
        _inner = inner;
    }

    public AuditRecord Current => _block[_index];

    /// <summary>Whether <see cref="Current"/>'s stored hash matches the one recomputed from its prevHash and payload.</summary>
    public bool CurrentHashValid => _hashValid[_index];

    public ValueTask<bool> MoveNextAsync()
    {
        if (_index + 1 < _count)
        {
            _index++;
            return ValueTask.FromResult(true);
        }
        return NextBlockAsync();
    }

    private async ValueTask<bool> NextBlockAsync()
    {
        if (_pendingError is { } error)
        {
            // The store failed after the records already handed out: surface it now, in its place.
            _pendingError = null;
            error.Throw();
        }
        if (_innerDone)
        {
            return false;
        }
        Array.Clear(_block, 0, _count);
        _count = 0;
        _index = -1;
        try
        {
            while (_count < BlockSize && await _inner.MoveNextAsync().ConfigureAwait(false))
            {
                _block[_count++] = _inner.Current;
            }
            _innerDone = _count < BlockSize;
        }
        catch (AuditStoreException ex)
        {
            _innerDone = true;
            _pendingError = ExceptionDispatchInfo.Capture(ex);
        }
        CheckHashes();
        if (_count > 0)
        {
            _index = 0;
            return true;
        }
        return await NextBlockAsync().ConfigureAwait(false);
    }

    private void CheckHashes()
    {
        var workers = Math.Min(Environment.ProcessorCount, _count / MinRecordsPerWorker);
        if (workers <= 1)
        {
            CheckRange(0, _count);
            return;
        }
        var per = (_count + workers - 1) / workers;
        Parallel.For(0, workers, w => CheckRange(w * per, Math.Min(_count, (w + 1) * per)));
    }

    private void CheckRange(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            _hashValid[i] = _block[i].HasValidHash();
        }
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
