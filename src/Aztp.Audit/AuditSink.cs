using System.Buffers;
using Aztp.Audit.Internal;
using Aztp.Core;

namespace Aztp.Audit;

/// <summary>
/// A durable, hash-chained audit sink. Plug it into a <see cref="SecurityMonitor"/> as a handler: each batch becomes
/// consecutive chain records (<c>seq</c>, <c>prevHash</c>, <c>hash</c>), written in one store operation, followed by a
/// signed checkpoint every <see cref="AuditSinkOptions.CheckpointEvery"/> events or
/// <see cref="AuditSinkOptions.CheckpointInterval"/>, and at <see cref="DisposeAsync"/>. A sink opened on an existing store
/// continues its chain.
/// </summary>
public abstract class AuditSink : IBatchSecurityEventHandler, IAsyncDisposable
{
    private readonly AuditSinkOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private ITimer? _timer;
    private long _lastSeq;
    private string _lastHash = AuditChain.GenesisHash;
    // _lastHash as 32 raw bytes, and a scratch copy a batch advances (committed only when the write succeeds).
    private readonly byte[] _lastHashRaw = new byte[32];
    private readonly byte[] _chainState = new byte[32];
    private long _unsealed;
    private DateTimeOffset _lastCheckpointAt;
    private bool _needsResync = true;
    private int _disposed;
    private ChainWorker? _worker;

    private protected AuditSink(AuditSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public int MaxBatchSize => _options.MaxBatchSize;

    /// <summary>The seq of the last record written (0 for an empty store).</summary>
    public long LastSeq => Volatile.Read(ref _lastSeq);

    /// <summary>The hash of the last record written (<see cref="AuditChain.GenesisHash"/> for an empty store).</summary>
    public string LastHash => Volatile.Read(ref _lastHash);

    /// <summary>Number of checkpoints this sink instance has written.</summary>
    public long CheckpointsWritten { get; private set; }

    /// <summary>The sink's settings.</summary>
    protected AuditSinkOptions Options => _options;

    /// <inheritdoc/>
    public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        return HandleBatchAsync([securityEvent], cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (batch.Count == 0)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ResyncIfNeededAsync(cancellationToken).ConfigureAwait(false);
            // At most one checkpoint per CheckpointEvery events (fewer than CheckpointEvery are unsealed before the
            // batch), plus the interval's one at the end.
            var output = new ChainBatch(batch.Count + batch.Count / _options.CheckpointEvery + 2);
            var job = new ChainJob(batch, output, _lastSeq, _lastHash, _unsealed, _lastCheckpointAt, _options.TimeProvider.GetUtcNow());
            var chunk = PipelineChunk;
            if (chunk > 0 && batch.Count >= 2 * chunk)
            {
                await WritePipelinedAsync(job, chunk).ConfigureAwait(false);
            }
            else
            {
                Chain(job, batch.Count, publishEvery: int.MaxValue);
                output.ThrowIfFailed();
                await WriteAsync(output.Records).ConfigureAwait(false);
            }
            Commit(job.Seq, job.Prev, job.Unsealed, job.CheckpointAt, job.Checkpoints);
            await AfterWriteAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // One batch's chaining: its input, where the chain stands (before the batch, then after each part of it), and how
    // far into the batch it has got.
    private sealed class ChainJob(IReadOnlyList<SecurityEvent> batch, ChainBatch output, long seq, string prev, long unsealed,
        DateTimeOffset checkpointAt, DateTimeOffset now)
    {
        public IReadOnlyList<SecurityEvent> Batch { get; } = batch;
        public ChainBatch Output { get; } = output;
        public DateTimeOffset Now { get; } = now;
        public int Next { get; set; }
        public long Seq { get; set; } = seq;
        public string Prev { get; set; } = prev;
        public long Unsealed { get; set; } = unsealed;
        public DateTimeOffset CheckpointAt { get; set; } = checkpointAt;
        public int Checkpoints { get; set; }
    }

    /// <summary>
    /// Chains the batch's events from <see cref="ChainJob.Next"/> up to <paramref name="until"/> into
    /// <see cref="ChainJob.Output"/>: serialize, hash, checkpoints where due; publishes every
    /// <paramref name="publishEvery"/> records and at the end of the range; at the end of the batch adds the interval's
    /// checkpoint if due and completes the output. A failure completes the output with it. Touches only the job, the
    /// reused JSON buffer and the scratch chain state, all owned by the batch in progress (under the sink's lock); the
    /// parts of a batch run one after the other, never at once.
    /// </summary>
    private void Chain(ChainJob job, int until, int publishEvery)
    {
        var output = job.Output;
        try
        {
            var seq = job.Seq;
            var prev = job.Prev;
            var unsealed = job.Unsealed;
            var checkpointAt = job.CheckpointAt;
            var checkpoints = job.Checkpoints;
            var now = job.Now;
            var state = _chainState;
            if (job.Next == 0)
            {
                _lastHashRaw.CopyTo(state, 0);
            }
            var batch = job.Batch;
            var nextPublish = output.Count + publishEvery;
            for (var i = job.Next; i < until; i++)
            {
                if (output.Abandoned)
                {
                    break;
                }
                var evt = batch[i];
                var payload = Serialize(evt);
                var hash = AuditChain.Advance(state, payload);
                output.Add(new AuditRecord(++seq, prev, hash, AuditRecordKind.Event, payload) { SourceEvent = evt });
                prev = hash;
                unsealed++;
                if (_options.Signer is not null && unsealed >= _options.CheckpointEvery)
                {
                    var cp = MakeCheckpoint(seq, prev, now);
                    output.Add(cp);
                    seq = cp.Seq;
                    prev = cp.Hash;
                    AuditChain.TryParseHash(prev, state);
                    unsealed = 0;
                    checkpointAt = now;
                    checkpoints++;
                }
                if (output.Count >= nextPublish)
                {
                    output.Publish();
                    nextPublish = output.Count + publishEvery;
                }
            }
            if (until == batch.Count && _options.Signer is not null && unsealed > 0 && _options.CheckpointInterval != Timeout.InfiniteTimeSpan
                && now - checkpointAt >= _options.CheckpointInterval)
            {
                var cp = MakeCheckpoint(seq, prev, now);
                output.Add(cp);
                seq = cp.Seq;
                prev = cp.Hash;
                unsealed = 0;
                checkpointAt = now;
                checkpoints++;
            }
            job.Next = until;
            job.Seq = seq;
            job.Prev = prev;
            job.Unsealed = unsealed;
            job.CheckpointAt = checkpointAt;
            job.Checkpoints = checkpoints;
            if (until == batch.Count)
            {
                output.Complete(null);
            }
            else
            {
                output.Publish();
            }
        }
#pragma warning disable CA1031 // Any failure (a signer fault, a malformed event) is handed to the storing thread, which rethrows it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            output.Complete(ex);
        }
    }

    // The storing thread chains the first records itself, then stores them while the worker chains the rest of the
    // batch (same order, same bytes): storing starts at once and never waits for the worker to be scheduled — by the
    // time the first part is stored the worker is far ahead. On any failure the worker is stopped and waited for before
    // the lock is released, and the chain state is not advanced.
    private async ValueTask WritePipelinedAsync(ChainJob job, int chunk)
    {
        var worker = _worker ??= new ChainWorker($"aztp-audit-chain-{Name}");
        Chain(job, chunk, int.MaxValue);
        if (job.Next == chunk)
        {
            worker.Start(() => Chain(job, job.Batch.Count, chunk));
        }
        try
        {
            await AppendPipelinedAsync(job.Output).ConfigureAwait(false);
        }
        catch
        {
            job.Output.Abandon();
            _needsResync = true;
            throw;
        }
    }

    /// <summary>Writes a checkpoint now if any record is not yet covered by one (no-op without a signer).</summary>
    public async Task SealAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SealLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes a final checkpoint (when a signer is set and records are unsealed) and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            try
            {
                await SealLockedAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _worker?.Dispose();
                await CloseStoreAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads the tail of the store so the chain continues, and starts the checkpoint timer.</summary>
    private protected async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await ResyncIfNeededAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Signer is not null && _options.CheckpointInterval != Timeout.InfiniteTimeSpan)
        {
            _timer = _options.TimeProvider.CreateTimer(static state => _ = ((AuditSink)state!).OnTimerAsync(), this,
                _options.CheckpointInterval, _options.CheckpointInterval);
        }
    }

    /// <summary>The last record of the store, or null when it is empty.</summary>
    private protected abstract ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken);

    /// <summary>Appends consecutive records in one store operation; all or none become durable.</summary>
    private protected abstract ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Records per hand-off when the sink stores a batch while the rest of it is still being chained (0: chain the
    /// whole batch first, then <see cref="AppendAsync"/>). A sink that returns more than 0 implements
    /// <see cref="AppendPipelinedAsync"/>.
    /// </summary>
    private protected virtual int PipelineChunk => 0;

    /// <summary>
    /// Appends the batch's records as they are chained (take them with <see cref="ChainBatch.WaitFor"/>, in order) in
    /// one store operation; all or none become durable. Rethrows the chaining's failure, which must roll the write back.
    /// </summary>
    private protected virtual ValueTask AppendPipelinedAsync(ChainBatch records) =>
        throw new NotSupportedException("This sink does not store batches while they are chained.");

    /// <summary>Called under the sink's lock after each successful write (rotation hook).</summary>
    private protected virtual ValueTask AfterWriteAsync() => ValueTask.CompletedTask;

    /// <summary>Closes the store.</summary>
    private protected abstract ValueTask CloseStoreAsync();

    /// <summary>Writes a checkpoint under the lock; returns it, or null when nothing needed sealing or there is no signer.</summary>
    private protected async ValueTask<AuditRecord?> SealLockedAsync(CancellationToken cancellationToken)
    {
        if (_options.Signer is null)
        {
            return null;
        }
        await ResyncIfNeededAsync(cancellationToken).ConfigureAwait(false);
        if (_unsealed == 0 || _lastSeq == 0)
        {
            return null;
        }
        var now = _options.TimeProvider.GetUtcNow();
        var cp = MakeCheckpoint(_lastSeq, _lastHash, now);
        await WriteAsync([cp]).ConfigureAwait(false);
        Commit(cp.Seq, cp.Hash, 0, now, 1);
        return cp;
    }

    private async ValueTask WriteAsync(IReadOnlyList<AuditRecord> records)
    {
        try
        {
            // Not cancellable: a half-written batch would break the chain; the store write is bounded.
            await AppendAsync(records, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // The store's tail is now uncertain: read it again before the next write.
            _needsResync = true;
            throw;
        }
    }

    private void Commit(long seq, string hash, long unsealed, DateTimeOffset checkpointAt, int checkpoints)
    {
        if (!AuditChain.TryParseHash(hash, _lastHashRaw))
        {
            throw new AuditStoreException($"The store's last hash is not 64 lower-case hex digits: '{hash}'.");
        }
        Volatile.Write(ref _lastSeq, seq);
        Volatile.Write(ref _lastHash, hash);
        _unsealed = unsealed;
        _lastCheckpointAt = checkpointAt;
        CheckpointsWritten += checkpoints;
    }

    // One reused buffer: SecurityEventJson.Write appends the canonical bytes straight to it (no JSON writer per event).
    private byte[] Serialize(SecurityEvent evt)
    {
        _json.ResetWrittenCount();
        SecurityEventJson.Write(_json, evt);
        return _json.WrittenSpan.ToArray();
    }

    private AuditRecord MakeCheckpoint(long coveredSeq, string coveredHash, DateTimeOffset now)
    {
        var checkpoint = AuditCheckpoint.Create(_options.Signer!, coveredSeq, coveredHash, now, _options.AgentId);
        var payload = checkpoint.ToJsonBytes();
        return new AuditRecord(coveredSeq + 1, coveredHash, AuditChain.ComputeHash(coveredHash, payload), AuditRecordKind.Checkpoint, payload) { SourceCheckpoint = checkpoint };
    }

    private async ValueTask ResyncIfNeededAsync(CancellationToken cancellationToken)
    {
        if (!_needsResync)
        {
            return;
        }
        var last = await ReadLastRecordAsync(cancellationToken).ConfigureAwait(false);
        if (last is null)
        {
            Commit(0, AuditChain.GenesisHash, 0, _options.TimeProvider.GetUtcNow(), 0);
        }
        else
        {
            Commit(last.Seq, last.Hash, last.Kind == AuditRecordKind.Checkpoint ? 0 : 1, _options.TimeProvider.GetUtcNow(), 0);
        }
        _needsResync = false;
    }

    private async Task OnTimerAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 || !await _gate.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }
        try
        {
            if (_options.TimeProvider.GetUtcNow() - _lastCheckpointAt >= _options.CheckpointInterval)
            {
                await SealLockedAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Data.Common.DbException or UnauthorizedAccessException)
        {
            // The next batch resynchronizes and retries; a failing store surfaces there as a handler failure.
        }
        finally
        {
            _gate.Release();
        }
    }
}
