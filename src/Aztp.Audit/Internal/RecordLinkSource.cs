namespace Aztp.Audit.Internal;

/// <summary>Links from any <see cref="IAuditReader"/>: its records read a block ahead, their hashes checked on all cores.</summary>
internal sealed class RecordLinkSource(IAsyncEnumerator<AuditRecord> inner) : ChainLinkSource
{
    private const int BlockSize = 2048;
    private readonly AuditRecord[] _records = new AuditRecord[BlockSize];

    protected override async ValueTask<bool> FillAsync()
    {
        var count = 0;
        try
        {
            while (count < BlockSize && await inner.MoveNextAsync().ConfigureAwait(false))
            {
                _records[count++] = inner.Current;
            }
        }
        finally
        {
            // The records before a store error are handed out first, then the error.
            Count = count;
            ForEachChunk(count, (from, to, hasher) =>
            {
                for (var i = from; i < to; i++)
                {
                    Links[i] = hasher.Link(_records[i]);
                }
            });
            Array.Clear(_records, 0, count);
        }
        return count == BlockSize;
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
