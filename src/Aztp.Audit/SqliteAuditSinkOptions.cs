namespace Aztp.Audit;

/// <summary>Settings of <see cref="SqliteAuditSink"/>.</summary>
public sealed class SqliteAuditSinkOptions : AuditSinkOptions
{
    /// <summary>The database file. Required; created with the schema when missing.</summary>
    public string Path { get; set; } = "";

    /// <summary>The table name (a-z, 0-9, '_'). Default <c>aztp_audit</c>.</summary>
    public string Table { get; set; } = "aztp_audit";

    /// <summary>
    /// <c>PRAGMA synchronous=FULL</c> (each committed batch is on disk) when <see langword="true"/> (default);
    /// <c>NORMAL</c> otherwise (with WAL, a power loss can lose the last batches but never corrupts the chain).
    /// </summary>
    public bool FullSync { get; set; } = true;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("SqliteAuditSinkOptions.Path must name the database file.", nameof(Path));
        }
        Internal.AuditRow.ValidateTableName(Table);
    }
}
