namespace Aztp.Identity;

/// <summary>Identity material could not be loaded; <see cref="Error"/> says why and the message names the file.</summary>
public sealed class IdentityLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IdentityLoadException()
        : this(IdentityLoadError.InvalidFormat, "Identity material could not be loaded.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public IdentityLoadException(string message)
        : this(IdentityLoadError.InvalidFormat, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public IdentityLoadException(string message, Exception innerException)
        : this(IdentityLoadError.InvalidFormat, message, innerException)
    {
    }

    /// <summary>Creates the exception for a typed error.</summary>
    public IdentityLoadException(IdentityLoadError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public IdentityLoadError Error { get; }
}
