using System.Net.Sockets;
using Aztp.Audit.Internal;
using Npgsql;

namespace Aztp.Audit;

/// <summary>
/// Writes the audit chain to PostgreSQL with binary COPY. Batches are chained and queued at once, so the monitor never
/// waits for the server; a background writer stores them in order. While the server is unreachable it retries with
/// exponential backoff, holding up to <see cref="PostgresAuditSinkOptions.MaxBufferedRecords"/> in memory and spilling
/// the rest to a file. After a reconnect it reads the highest stored seq and skips what is already there, so each
/// record is stored exactly once. One sink (one writer) per table.
/// </summary>
public sealed class PostgresAuditSink : AuditSink
{
    private readonly PostgresAuditSinkOptions _options;
    private readonly string _connectionString;
    private readonly SpillQueue _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    // Two encoders: while one's stream is being sent, the writer encodes the next batch into the other.
    private PostgresCopyEncoder _encoder = new();
    private PostgresCopyEncoder _nextEncoder = new();
    // Completed (and replaced) each time the writer stores a COPY or fails: wakes a producer waiting for room.
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _writerHealthy;
    private AuditRecord? _queueTail;
    private NpgsqlConnection? _connection;
    private Task? _writer;
    private long _reconnects;
    private Exception? _lastError;

    private PostgresAuditSink(PostgresAuditSinkOptions options)
        : base(options)
    {
        _options = options;
        _connectionString = PostgresSchema.NoPooling(options.ConnectionString);
        _queue = new SpillQueue(options.MaxBufferedRecords, options.EffectiveSpillPath);
    }

    /// <summary>Connects, creates the table when missing, and continues the chain (from the spill file of an earlier run when it holds newer records).</summary>
    /// <exception cref="AuditStoreException">The server cannot be reached or the schema cannot be created.</exception>
    public static async Task<PostgresAuditSink> OpenAsync(PostgresAuditSinkOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sink = new PostgresAuditSink(options);
        try
        {
            sink._queueTail = sink._queue.Recover();
            await sink.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var shape = await PostgresSchema.CreateAsync(sink._connection!, options.Table, cancellationToken).ConfigureAwait(false);
            if (sink._queueTail is null)
            {
                sink._queueTail = await PostgresSchema.ReadLastAsync(sink._connection!, options.Table, shape, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var stored = await PostgresSchema.ReadLastAsync(sink._connection!, options.Table, shape, cancellationToken).ConfigureAwait(false);
                if (stored is not null && stored.Seq > sink._queueTail.Seq)
                {
                    sink._queueTail = stored;
                }
            }
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
            sink._writer = Task.Run(sink.WriteLoopAsync, CancellationToken.None);
            return sink;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException)
        {
            await sink.CloseStoreAsync().ConfigureAwait(false);
            throw new AuditStoreException($"Cannot open {PostgresSchema.Describe(options.ConnectionString)}: {ex.Message}", ex);
        }
        catch
        {
            await sink.CloseStoreAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public override string Name => "postgres";

    /// <summary>Records accepted but not yet stored on the server (in memory or in the spill file).</summary>
    public long Pending => _queue.Count;

    /// <summary>True while records are being spilled to the spill file.</summary>
    public bool IsSpilling => _queue.IsSpilling;

    /// <summary>How many times the writer lost the server and reconnected.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>The last write error (type and message), for diagnostics; null when the last write succeeded.</summary>
    public string? LastError => Volatile.Read(ref _lastError) is { } e ? $"{e.GetType().Name}: {e.Message}" : null;

    /// <summary>Waits until every record accepted so far is stored on the server.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _queue.WhenEmpty().WaitAsync(cancellationToken);

    private protected override ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(_queueTail);

    private protected override async ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        await WaitForRoomAsync(records.Count).ConfigureAwait(false);
        _queue.Enqueue(records);
        _queueTail = records[^1];
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    /// <summary>
    /// While the server is up and the writer storing, but slower than the producer, a full memory buffer makes the
    /// batch wait (at most <see cref="MaxWaitForRoom"/>) for the writer to make room, instead of spilling to the file:
    /// the monitor's own backpressure then paces the emitters. During an outage (the last write failed), or once
    /// spilling has started, nothing waits.
    /// </summary>
    private async Task WaitForRoomAsync(int incoming)
    {
        var deadline = Environment.TickCount64 + (long)MaxWaitForRoom.TotalMilliseconds;
        while (Volatile.Read(ref _writerHealthy) && !_queue.IsSpilling && _queue.Count + incoming > _options.MaxBufferedRecords)
        {
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return;
            }
            var progress = Volatile.Read(ref _progress).Task;
            // Re-check after taking the signal, so progress made in between is not missed.
            if (!Volatile.Read(ref _writerHealthy) || _queue.Count + incoming <= _options.MaxBufferedRecords)
            {
                return;
            }
            await Task.WhenAny(progress, Task.Delay(TimeSpan.FromMilliseconds(left))).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan MaxWaitForRoom = TimeSpan.FromMilliseconds(500);

    private void SignalProgress(bool healthy)
    {
        Volatile.Write(ref _writerHealthy, healthy);
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _progress, next).TrySetResult();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
    }

    private async Task WriteLoopAsync()
    {
        var delay = _options.InitialRetryDelay;
        var dedupe = true;
        var token = _stop.Token;
        // The batch after the one being stored, already encoded (by _nextEncoder) while the server took that one.
        List<AuditRecord>? next = null;
        var nextData = ReadOnlyMemory<byte>.Empty;
        while (true)
        {
            List<AuditRecord> batch;
            var data = ReadOnlyMemory<byte>.Empty;
            if (next is not null)
            {
                (batch, data, next) = (next, nextData, null);
                (_encoder, _nextEncoder) = (_nextEncoder, _encoder);
            }
            else
            {
                batch = _queue.Peek(_options.WriteBatchSize);
            }
            if (batch.Count == 0)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    await _wake.WaitAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: drain what is left, then exit.
                }
                continue;
            }
            try
            {
                if (_connection is null)
                {
                    await ConnectAsync(token).ConfigureAwait(false);
                }
                if (dedupe)
                {
                    // After a lost connection a COPY may have committed without our seeing it: skip what is stored.
                    var stored = await PostgresSchema.MaxSeqAsync(_connection!, _options.Table, token).ConfigureAwait(false);
                    dedupe = false;
                    var skip = batch.TakeWhile(r => r.Seq <= stored).Count();
                    if (skip > 0)
                    {
                        _queue.Acknowledge(skip);
                        continue;
                    }
                }
                if (data.IsEmpty)
                {
                    data = _encoder.Encode(batch);
                }
                var copy = PostgresSchema.CopyAsync(_connection!, _options.Table, data, token);
                // While the server parses, inserts and commits this batch, encode the one after it when a full batch is
                // already queued in memory (the writer is behind); it is stored only after this COPY has committed, and
                // dropped if this one fails. A partial batch is left to grow meanwhile: fixing it now would make the
                // next COPY (and its commit) smaller than it needs to be.
                var following = _queue.PeekAfter(batch.Count, _options.WriteBatchSize);
                if (following.Count == _options.WriteBatchSize)
                {
                    nextData = _nextEncoder.Encode(following);
                    next = following;
                }
                await copy.ConfigureAwait(false);
                _queue.Acknowledge(batch.Count);
                delay = _options.InitialRetryDelay;
                Volatile.Write(ref _lastError, null);
                SignalProgress(healthy: true);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException or InvalidOperationException)
            {
                next = null;
                Volatile.Write(ref _lastError, ex);
                SignalProgress(healthy: false);
                dedupe = true;
                Interlocked.Increment(ref _reconnects);
                if (_connection is not null)
                {
                    await _connection.DisposeAsync().ConfigureAwait(false);
                    _connection = null;
                }
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private protected override async ValueTask CloseStoreAsync()
    {
        if (_writer is not null)
        {
            try
            {
                await _queue.WhenEmpty().WaitAsync(_options.DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The server stayed unreachable: what is left goes to the spill file for the next run.
            }
            await _stop.CancelAsync().ConfigureAwait(false);
            await _writer.ConfigureAwait(false);
            _writer = null;
            SignalProgress(healthy: false);
        }
        if (_queue.Count > 0)
        {
            _queue.PersistAll();
        }
        _queue.Dispose();
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
        _stop.Dispose();
    }
}
