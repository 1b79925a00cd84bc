namespace Aztp.Audit;

/// <summary>An audit store could not be opened or read, or holds a record that is not well formed.</summary>
public sealed class AuditStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuditStoreException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AuditStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public AuditStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a malformed record at a 1-based position in store order.</summary>
    public AuditStoreException(string message, long position, bool tornTail, Exception? innerException = null)
        : base(message, innerException)
    {
        Position = position;
        IsTornTail = tornTail;
    }

    /// <summary>The 1-based position (line or row order) of the malformed record, when the error is about one.</summary>
    public long? Position { get; }

    /// <summary>True when the store ends in an incomplete record (a write cut short, or a truncated file).</summary>
    public bool IsTornTail { get; }
}
