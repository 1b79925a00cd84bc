using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Aztp.Audit.Internal;

/// <summary>
/// Moves WAL checkpointing off the sink's writer. SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold: the committing thread copies the WAL's pages into the database file and fsyncs it before the batch is
/// acknowledged. Here the writer connection has <c>wal_autocheckpoint=0</c>; every <c>triggerRecords</c> committed
/// records wake a background task that runs a PASSIVE checkpoint on its own connection (it never blocks the writer,
/// which keeps appending to the WAL meanwhile).
/// <para>
/// A PASSIVE checkpoint alone cannot keep the WAL bounded under a steady writer: SQLite rewinds the WAL only when a
/// write transaction starts while every frame is already copied, and a writer that commits continuously always has
/// frames the checkpoint has not reached. So once a PASSIVE checkpoint reports at least <c>restartFrames</c> frames in
/// the WAL, the writer — before its next transaction, on its own thread — runs a RESTART checkpoint: it copies only the
/// few frames committed since, syncs the database, and the next commit starts the WAL from its beginning. That RESTART
/// uses no busy wait (a reader still inside the WAL makes it return at once, and it is tried again after the next
/// PASSIVE), so a reader can delay the rewind but never stalls the writer.
/// </para>
/// Durability is unchanged: a batch is durable when its WAL commit is synced (<c>synchronous=FULL</c>); checkpoints only
/// move committed pages into the database file.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int RestartDue = 2;

    private readonly SqliteConnection _writer;
    private readonly SqliteConnection _connection;
    private readonly long _triggerRecords;
    private readonly long _restartFrames;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _sinceTrigger;
    private int _state;
    private readonly Lock _lock = new();
    private TaskCompletionSource _ran = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _passive;
    private long _restarts;
    private long _restartsSkipped;

    private SqliteCheckpointer(SqliteConnection writer, SqliteConnection connection, long triggerRecords, long restartFrames)
    {
        _writer = writer;
        _connection = connection;
        _triggerRecords = triggerRecords;
        _restartFrames = restartFrames;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Turns off the writer's automatic checkpoint and starts the background task on a connection of its own.
    /// </summary>
    public static async Task<SqliteCheckpointer> StartAsync(SqliteConnection writer, string path, long triggerRecords, long restartFrames,
        CancellationToken cancellationToken)
    {
        var connection = await SqliteSchema.OpenAsync(path, create: false, cancellationToken).ConfigureAwait(false);
        try
        {
            // A connection learns that the database is in WAL mode when it first reads it; before that a checkpoint is a
            // no-op (it reports -1 frames).
            await SqliteSchema.ExecAsync(connection, "SELECT count(*) FROM sqlite_schema;", cancellationToken).ConfigureAwait(false);
            await SqliteSchema.ExecAsync(writer, "PRAGMA wal_autocheckpoint=0;", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SqliteCheckpointer(writer, connection, triggerRecords, restartFrames);
    }

    /// <summary>PASSIVE checkpoints run so far (for tests and diagnostics).</summary>
    public long PassiveCheckpoints => Interlocked.Read(ref _passive);

    /// <summary>WAL rewinds (RESTART checkpoints that succeeded) so far.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>WAL rewinds postponed (a reader was still using the WAL, or the checkpoint failed).</summary>
    public long RestartsSkipped => Interlocked.Read(ref _restartsSkipped);

    /// <summary>Completes when no background checkpoint is running (tests use it to step the checkpointer).</summary>
    public Task WhenNotRunningAsync()
    {
        lock (_lock)
        {
            return Volatile.Read(ref _state) == Running ? _ran.Task : Task.CompletedTask;
        }
    }

    /// <summary>
    /// Called by the writer before each transaction (no transaction open on its connection): rewinds the WAL when a
    /// background checkpoint found it at its bound.
    /// </summary>
    public void BeforeWrite()
    {
        if (Volatile.Read(ref _state) != RestartDue)
        {
            return;
        }
        var db = _writer.Handle!;
        // No busy wait: only a reader still using the WAL can make this busy (this is the only writer and the
        // background task is idle in this state); then the next PASSIVE checkpoint tries again.
        raw.sqlite3_busy_timeout(db, 0);
        int rc;
        try
        {
            rc = raw.sqlite3_wal_checkpoint_v2(db, "main", raw.SQLITE_CHECKPOINT_RESTART, out _, out _);
        }
        finally
        {
            raw.sqlite3_busy_timeout(db, SqliteSchema.BusyTimeoutMs);
        }
        // Busy (a reader in the WAL) or any other failure only postpones the rewind: the batch about to be written does
        // not depend on it, and a store that cannot be written fails that batch's own commit.
        Interlocked.Increment(ref rc == raw.SQLITE_OK ? ref _restarts : ref _restartsSkipped);
        Volatile.Write(ref _state, Idle);
    }

    /// <summary>Called by the writer after each commit with the number of records it stored.</summary>
    public void Committed(int records)
    {
        _sinceTrigger += records;
        if (_sinceTrigger < _triggerRecords || Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
        {
            return;
        }
        _sinceTrigger = 0;
        _wake.Release();
    }

    /// <summary>Stops the background task (waiting for a checkpoint in progress) and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync()
    {
        var db = _connection.Handle!;
        while (true)
        {
            try
            {
                await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var next = Idle;
            var rc = raw.sqlite3_wal_checkpoint_v2(db, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out var logFrames, out _);
            if (rc == raw.SQLITE_OK)
            {
                Interlocked.Increment(ref _passive);
                if (logFrames >= _restartFrames)
                {
                    next = RestartDue;
                }
            }
            // Any failure (busy: another process checkpointing; I/O) only leaves the copy for a later checkpoint — the
            // committed batches are durable in the WAL — so it is not reported to the writer.
            TaskCompletionSource ran;
            lock (_lock)
            {
                Volatile.Write(ref _state, next);
                ran = _ran;
                _ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            ran.SetResult();
        }
    }
}
