namespace Aztp.Audit;

/// <summary>
/// Settings of <see cref="SqliteAuditSink"/>. <see cref="AuditSinkOptions.MaxBatchSize"/> defaults to 8,192 here (the
/// monitor's default queue capacity) rather than 1,024: a batch is one transaction and one WAL sync, so when the sink falls
/// behind, the events queued meanwhile are committed together (group commit). Batches are only that large under load;
/// each is still committed before <see cref="AuditSink.HandleBatchAsync"/> returns.
/// </summary>
public sealed class SqliteAuditSinkOptions : AuditSinkOptions
{
    /// <summary>Default settings; <see cref="AuditSinkOptions.MaxBatchSize"/> 8,192.</summary>
    public SqliteAuditSinkOptions()
    {
        MaxBatchSize = DefaultMaxBatchSize;
    }

    /// <summary>The default <see cref="AuditSinkOptions.MaxBatchSize"/> of a SQLite sink: 8,192 events.</summary>
    public const int DefaultMaxBatchSize = 8192;

    /// <summary>The database file. Required; created with the schema when missing.</summary>
    public string Path { get; set; } = "";

    /// <summary>The table name (a-z, 0-9, '_'). Default <c>aztp_audit</c>.</summary>
    public string Table { get; set; } = "aztp_audit";

    /// <summary>
    /// <c>PRAGMA synchronous=FULL</c> (each committed batch is on disk) when <see langword="true"/> (default);
    /// <c>NORMAL</c> otherwise (with WAL, a power loss can lose the last batches but never corrupts the chain).
    /// </summary>
    public bool FullSync { get; set; } = true;

    /// <summary>
    /// Opt-in write-behind. Default <see langword="false"/>: <see cref="AuditSink.HandleBatchAsync"/> returns only once
    /// its batch is committed. When <see langword="true"/>, it returns once the batch is chained and queued to a
    /// background writer, so the next batch is chained while this one commits, and batches queued during a commit are
    /// committed together. Each commit is still a <see cref="FullSync"/> transaction; what changes is the acknowledgement:
    /// a crash can lose the accepted batches not yet committed (at most <see cref="MaxPendingBatches"/> plus the one
    /// committing; <see cref="SqliteAuditSink.StoredSeq"/> tells how far the store is). <see cref="SqliteAuditSink.FlushAsync"/>
    /// and disposal wait for the commits; a failed commit is reported by the next batch (its batches are not stored and
    /// the chain continues from the stored tail).
    /// </summary>
    public bool WriteBehind { get; set; }

    /// <summary>With <see cref="WriteBehind"/>, batches accepted but not committed before the sink waits. Default 4; 1 to 64.</summary>
    public int MaxPendingBatches { get; set; } = 4;

    /// <summary>
    /// Opt-in: WAL checkpoints on a background connection instead of inside the writer's commits. Default
    /// <see langword="false"/> (SQLite's automatic checkpoint, run by the commit that crosses 1,000 WAL pages). When
    /// <see langword="true"/>, every 4,096 committed records wake a background PASSIVE checkpoint, and once one finds
    /// 16 MiB or more in the WAL the writer rewinds it (a non-waiting RESTART checkpoint) before its next transaction.
    /// Durability is the same either way (a batch is durable once its WAL commit is synced). It takes the checkpoint's
    /// copy and database sync off the committing thread but costs more CPU in total (docs/audit.md, "SQLite
    /// checkpoints"): worth it only when a core is otherwise idle.
    /// </summary>
    public bool CheckpointInBackground { get; set; }

    // With CheckpointInBackground: a PASSIVE checkpoint every this many committed records, and a WAL rewind by the
    // writer once a checkpoint finds the WAL at WalRestartBytes. Internal: tests shrink them.
    internal long BackgroundCheckpointRecords { get; set; } = 4096;

    internal long WalRestartBytes { get; set; } = 16L << 20;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("SqliteAuditSinkOptions.Path must name the database file.", nameof(Path));
        }
        Internal.AuditRow.ValidateTableName(Table);
        if (MaxPendingBatches is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingBatches), MaxPendingBatches, "SqliteAuditSinkOptions.MaxPendingBatches must be between 1 and 64.");
        }
    }
}
