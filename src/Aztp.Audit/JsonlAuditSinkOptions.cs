namespace Aztp.Audit;

/// <summary>Settings of <see cref="JsonlAuditSink"/>.</summary>
public sealed class JsonlAuditSinkOptions : AuditSinkOptions
{
    /// <summary>The active file. Required. Rotated files are written beside it as <c>NAME.yyyyMMddTHHmmssfffZ.jsonl</c>.</summary>
    public string Path { get; set; } = "";

    /// <summary>Flush each batch to the disk (fsync) before acknowledging it. Default <see langword="true"/>.</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>Rotate when the active file reaches this many bytes. Default 0: no size-based rotation.</summary>
    public long MaxFileBytes { get; set; }

    /// <summary>Rotate when the active file has been written for this long. Default <see langword="null"/>: no time-based rotation.</summary>
    public TimeSpan? RotateInterval { get; set; }

    /// <summary>Keep at most this many rotated files (oldest deleted first). Default 0: keep all.</summary>
    public int KeepFiles { get; set; }

    /// <summary>Delete rotated files older than this many days. Default 0: keep all.</summary>
    public int KeepDays { get; set; }

    /// <summary>Gzip rotated files (<c>.jsonl.gz</c>). Default <see langword="false"/>.</summary>
    public bool CompressRotated { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("JsonlAuditSinkOptions.Path must name the audit file.", nameof(Path));
        }
        if (MaxFileBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "JsonlAuditSinkOptions.MaxFileBytes must be 0 (off) or positive.");
        }
        if (RotateInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RotateInterval), interval, "JsonlAuditSinkOptions.RotateInterval must be positive when set.");
        }
        if (KeepFiles < 0 || KeepDays < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(KeepFiles), "JsonlAuditSinkOptions.KeepFiles and KeepDays must be 0 (keep all) or positive.");
        }
    }
}
