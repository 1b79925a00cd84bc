using System.Runtime.ExceptionServices;

namespace Aztp.Audit.Internal;

/// <summary>
/// Links from any <see cref="IAuditReader"/>: its records read a block at a time on the caller's thread, each block's
/// hashes checked in the background while the next block is read (reading a database row by row is the sequential
/// part; it overlaps with the hashing of the block before it and with the walk).
/// </summary>
internal sealed class RecordLinkSource(IAsyncEnumerator<AuditRecord> inner) : ChainLinkSource
{
    private const int BlockSize = 2048;

    // Two sets, alternating: the block being walked, and the block read ahead and being linked.
    private readonly AuditRecord[][] _records = [new AuditRecord[BlockSize], new AuditRecord[BlockSize]];
    private readonly ChainLink[][] _links = [new ChainLink[BlockSize], new ChainLink[BlockSize]];
    private int _nextSet;
    private Pending? _ahead;

    /// <summary>A block read: its record count, whether the store may have more, the read's error, and its linking.</summary>
    private sealed record Pending(int Set, int Count, bool More, ExceptionDispatchInfo? Error, Task Linking);

    protected override async ValueTask<bool> FillAsync()
    {
        var current = _ahead ?? await ReadAsync().ConfigureAwait(false);
        // The walker is done with the other set: read the next block into it while this one is linked.
        _ahead = current.More ? await ReadAsync().ConfigureAwait(false) : null;
        await current.Linking.ConfigureAwait(false);
        SetLinks(_links[current.Set]);
        Count = current.Count;
        // A read error comes after the records read before it, in its place, as when reading one by one.
        current.Error?.Throw();
        return current.More;
    }

    private async ValueTask<Pending> ReadAsync()
    {
        var set = _nextSet;
        _nextSet ^= 1;
        var records = _records[set];
        var count = 0;
        ExceptionDispatchInfo? error = null;
        try
        {
            while (count < BlockSize && await inner.MoveNextAsync().ConfigureAwait(false))
            {
                records[count++] = inner.Current;
            }
        }
        catch (Exception ex)
        {
            error = ExceptionDispatchInfo.Capture(ex);
        }
        var links = _links[set];
        var linking = count == 0 ? Task.CompletedTask : Task.Run(() =>
        {
            ForEachChunk(count, (from, to, hasher) =>
            {
                for (var i = from; i < to; i++)
                {
                    links[i] = hasher.Link(records[i]);
                }
            });
            Array.Clear(records, 0, count);
        });
        return new Pending(set, count, error is null && count == BlockSize, error, linking);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_ahead is not null)
        {
            await _ahead.Linking.ConfigureAwait(false);
        }
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
