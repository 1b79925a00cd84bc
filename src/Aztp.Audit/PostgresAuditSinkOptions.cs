namespace Aztp.Audit;

/// <summary>Settings of <see cref="PostgresAuditSink"/>.</summary>
public sealed class PostgresAuditSinkOptions : AuditSinkOptions
{
    /// <summary>The Npgsql connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The table name (a-z, 0-9, '_'); created with its indexes when missing. Default <c>aztp_audit</c>.</summary>
    public string Table { get; set; } = "aztp_audit";

    /// <summary>Records held in memory while the server is slow or unreachable before new ones spill to a file. Default 50,000.</summary>
    public int MaxBufferedRecords { get; set; } = 50_000;

    /// <summary>
    /// The spill file: records waiting beyond <see cref="MaxBufferedRecords"/>, and everything unwritten at shutdown, to be
    /// stored by the next run. Default <c>{temp}/aztp-audit-{Table}.spill.jsonl</c>; give each writer its own.
    /// </summary>
    public string? SpillPath { get; set; }

    /// <summary>Rows per COPY. Default 5,000.</summary>
    public int WriteBatchSize { get; set; } = 5000;

    /// <summary>First retry delay after a failure; doubles up to <see cref="MaxRetryDelay"/>. Default 100 ms.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest retry delay. Default 5 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long disposal waits for queued records to reach the server before leaving them in the spill file. Default 30 seconds.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The spill file path in effect.</summary>
    public string EffectiveSpillPath => SpillPath ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"aztp-audit-{Table}.spill.jsonl");

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("PostgresAuditSinkOptions.ConnectionString must be set.", nameof(ConnectionString));
        }
        Internal.AuditRow.ValidateTableName(Table);
        if (MaxBufferedRecords < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBufferedRecords), MaxBufferedRecords, "PostgresAuditSinkOptions.MaxBufferedRecords must be at least 1.");
        }
        if (WriteBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WriteBatchSize), WriteBatchSize, "PostgresAuditSinkOptions.WriteBatchSize must be at least 1.");
        }
        if (InitialRetryDelay <= TimeSpan.Zero || MaxRetryDelay < InitialRetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialRetryDelay), "PostgresAuditSinkOptions retry delays must be positive with MaxRetryDelay >= InitialRetryDelay.");
        }
        if (DrainTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DrainTimeout), DrainTimeout, "PostgresAuditSinkOptions.DrainTimeout must not be negative.");
        }
    }
}
