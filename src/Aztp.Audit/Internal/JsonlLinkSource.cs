namespace Aztp.Audit.Internal;

/// <summary>
/// Links straight from a JSONL file's bytes: each line's envelope is split without a JSON parse when it is laid out as
/// the writer writes it (<see cref="JsonlFormat.TryParseWritten"/>), its hashes decoded in place (no hex strings) and its payload hashed
/// where it lies in the read buffer; nothing is allocated for an event line. Any other line goes through
/// <see cref="JsonlFormat.ParseLine"/>, exactly as <see cref="JsonlAuditReader"/> would read it.
/// </summary>
internal sealed class JsonlLinkSource(string path, CancellationToken cancellationToken) : ChainLinkSource
{
    private readonly IAsyncEnumerator<JsonlChunk> _chunks = JsonlLines.ReadChunksAsync(path, 0, cancellationToken).GetAsyncEnumerator(cancellationToken);
    private AuditStoreException?[] _errors = new AuditStoreException?[2048];

    protected override async ValueTask<bool> FillAsync()
    {
        if (!await _chunks.MoveNextAsync().ConfigureAwait(false))
        {
            return false;
        }
        var chunk = _chunks.Current;
        EnsureCapacity(chunk.Count);
        if (_errors.Length < chunk.Count)
        {
            _errors = new AuditStoreException?[Links.Length];
        }
        ForEachChunk(chunk.Count, (from, to, hasher) => LinkRange(chunk, from, to, hasher));
        var firstError = Array.FindIndex(_errors, 0, chunk.Count, e => e is not null);
        if (firstError >= 0)
        {
            var error = _errors[firstError]!;
            Array.Clear(_errors, 0, chunk.Count);
            // The first malformed line, after every record before it: as if read one by one.
            Count = firstError;
            throw error;
        }
        Count = chunk.Count;
        return true;
    }

    private void LinkRange(JsonlChunk chunk, int from, int to, ChainHasher hasher)
    {
        for (var i = from; i < to; i++)
        {
            var (start, length) = chunk.Lines[i];
            var line = chunk.Buffer.AsSpan(start, length);
            var lineNumber = chunk.FirstLineNumber + i + 1;
            if (JsonlFormat.TryParseWritten(line, out var seq, out var kind, out var prev, out var hash, out var payload))
            {
                ref var link = ref Links[i];
                link.Seq = seq;
                link.Kind = kind;
                link.PrevWellFormed = true;
                link.Prev = prev;
                link.Hash = hash;
                link.HashValid = hasher.Matches(prev, payload, hash);
                link.Record = kind == AuditRecordKind.Checkpoint
                    ? new AuditRecord(seq, prev.ToString(), hash.ToString(), kind, payload.ToArray())
                    : null;
                continue;
            }
            try
            {
                Links[i] = hasher.Link(JsonlFormat.ParseLine(line, lineNumber));
            }
            catch (AuditStoreException ex)
            {
                _errors[i] = ex;
                return;
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _chunks.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
