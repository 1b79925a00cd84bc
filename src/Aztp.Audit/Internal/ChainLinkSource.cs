using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;

namespace Aztp.Audit.Internal;

/// <summary>
/// The records of a store as <see cref="ChainLink"/>s, in store order, for the verifier's sequential walk. A subclass
/// fills a block at a time and checks the block's hashes on all cores first: a record's hash depends only on its own
/// stored prevHash and payload, so the checks are independent. The walk sees exactly the records, and the store error
/// after them, that reading one by one would give, in the same order.
/// </summary>
internal abstract class ChainLinkSource : IAsyncDisposable
{
    /// <summary>Records per parallel work item: small enough that a core left waiting on a busy machine waits briefly.</summary>
    protected const int ChunkSize = 64;

    private readonly ConcurrentBag<ChainHasher> _hashers = [];
    private int _index = -1;
    private bool _done;
    private ExceptionDispatchInfo? _pendingError;

    protected ChainLink[] Links { get; private set; } = new ChainLink[2048];

    protected int Count { get; set; }

    public ChainLink Current => Links[_index];

    /// <summary>Opens the fastest source for a reader: JSONL files are parsed here from their raw lines.</summary>
    public static ChainLinkSource Open(IAuditReader reader, CancellationToken cancellationToken) => reader switch
    {
        JsonlAuditReader jsonl => new JsonlLinkSource(jsonl.Path, cancellationToken),
        _ => new RecordLinkSource(reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken)),
    };

    public ValueTask<bool> MoveNextAsync()
    {
        if (_index + 1 < Count)
        {
            _index++;
            return ValueTask.FromResult(true);
        }
        return NextBlockAsync();
    }

    private async ValueTask<bool> NextBlockAsync()
    {
        while (true)
        {
            if (_pendingError is { } error)
            {
                // The store failed after the records already handed out: surface it now, in its place.
                _pendingError = null;
                error.Throw();
            }
            if (_done)
            {
                return false;
            }
            Array.Clear(Links, 0, Count);
            Count = 0;
            _index = -1;
            try
            {
                _done = !await FillAsync().ConfigureAwait(false);
            }
            catch (AuditStoreException ex)
            {
                _done = true;
                _pendingError = ExceptionDispatchInfo.Capture(ex);
            }
            if (Count > 0)
            {
                _index = 0;
                return true;
            }
        }
    }

    /// <summary>
    /// Fills <c>Links[0..Count)</c> with the next block, hashes checked. Returns false when the store has no more
    /// records after this block. A store error is thrown after setting <see cref="Count"/> to the records before it.
    /// </summary>
    protected abstract ValueTask<bool> FillAsync();

    /// <summary>Hands out another array as the current block (the previous one is the subclass's again).</summary>
    protected void SetLinks(ChainLink[] links) => Links = links;

    protected void EnsureCapacity(int count)
    {
        if (Links.Length < count)
        {
            Links = new ChainLink[Math.Max(count, Links.Length * 2)];
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over <c>[0, count)</c> in chunks of <see cref="ChunkSize"/> on all cores, the caller's
    /// thread included, each worker with its own hasher. Chunks are taken in order by whichever thread is free, so a
    /// worker that the OS does not schedule delays the block by at most one chunk.
    /// </summary>
    protected void ForEachChunk(int count, Action<int, int, ChainHasher> body)
    {
        var chunks = (count + ChunkSize - 1) / ChunkSize;
        if (chunks <= 1 || Environment.ProcessorCount == 1)
        {
            var hasher = RentHasher();
            body(0, count, hasher);
            _hashers.Add(hasher);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            RentHasher,
            (c, _, hasher) =>
            {
                body(c * ChunkSize, Math.Min(count, (c + 1) * ChunkSize), hasher);
                return hasher;
            },
            _hashers.Add);
    }

    private ChainHasher RentHasher() => _hashers.TryTake(out var hasher) ? hasher : new ChainHasher();

    public virtual ValueTask DisposeAsync()
    {
        while (_hashers.TryTake(out var hasher))
        {
            hasher.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>One worker's SHA-256 context, reused for every record it checks (no per-record context setup).</summary>
internal sealed class ChainHasher : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>True when SHA-256(<paramref name="prev"/> ‖ <paramref name="payload"/>) is <paramref name="stored"/>.</summary>
    public bool Matches(in Hash256 prev, ReadOnlySpan<byte> payload, in Hash256 stored)
    {
        Span<byte> computed = stackalloc byte[32];
        _sha.AppendData(prev);
        _sha.AppendData(payload);
        _sha.GetHashAndReset(computed);
        return computed.SequenceEqual(stored);
    }

    /// <summary>The link of a record read through an <see cref="IAuditReader"/>: its hashes decoded and checked.</summary>
    public ChainLink Link(AuditRecord record)
    {
        var link = new ChainLink { Seq = record.Seq, Kind = record.Kind };
        link.PrevWellFormed = Hash256.TryParse(record.PrevHash, out link.Prev);
        var hashWellFormed = Hash256.TryParse(record.Hash, out link.Hash);
        link.HashValid = link.PrevWellFormed && hashWellFormed && Matches(link.Prev, record.Payload.Span, link.Hash);
        link.Record = record.Kind == AuditRecordKind.Checkpoint ? record : null;
        return link;
    }

    public void Dispose() => _sha.Dispose();
}
