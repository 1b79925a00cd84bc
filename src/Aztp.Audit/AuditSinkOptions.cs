namespace Aztp.Audit;

/// <summary>Settings shared by every audit sink.</summary>
public class AuditSinkOptions
{
    /// <summary>The writing agent's name, recorded in checkpoints. Default <c>aztp</c>.</summary>
    public string AgentId { get; set; } = "aztp";

    /// <summary>
    /// Signs checkpoints with the agent's SVID key. Default none: the chain is still written, but without checkpoints a
    /// verifier cannot tell a truncated tail from a complete one nor tie the chain to an identity. Not disposed by the sink.
    /// </summary>
    public AuditSigner? Signer { get; set; }

    /// <summary>Write a checkpoint after this many events. Default 1,000; must be at least 1.</summary>
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>
    /// Write a checkpoint when this much time has passed since the last one and events are unsealed (checked at each batch
    /// and by a timer). Default 60 seconds; <see cref="Timeout.InfiniteTimeSpan"/> disables time-based checkpoints.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The largest batch the monitor hands over at once. Default 1,024 (<see cref="SqliteAuditSinkOptions"/>: 8,192); 1 to
    /// 65,536.
    /// </summary>
    public int MaxBatchSize { get; set; } = 1024;

    /// <summary>Clock for checkpoint timestamps and the checkpoint timer. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings; throws with the option's name and the fix.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public virtual void Validate()
    {
        if (string.IsNullOrEmpty(AgentId))
        {
            throw new ArgumentException("AuditSinkOptions.AgentId must be set to the writing agent's name.", nameof(AgentId));
        }
        if (CheckpointEvery < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "AuditSinkOptions.CheckpointEvery must be at least 1.");
        }
        if (CheckpointInterval <= TimeSpan.Zero && CheckpointInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "AuditSinkOptions.CheckpointInterval must be positive, or Timeout.InfiniteTimeSpan.");
        }
        if (MaxBatchSize is < 1 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "AuditSinkOptions.MaxBatchSize must be between 1 and 65,536.");
        }
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
