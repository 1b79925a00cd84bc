namespace Aztp.Identity;

/// <summary>A string is not a valid SPIFFE ID or trust domain; <see cref="Rule"/> says which rule it broke.</summary>
public sealed class SpiffeIdFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SpiffeIdFormatException()
        : this(SpiffeIdRule.Empty, "The SPIFFE ID is invalid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SpiffeIdFormatException(string message)
        : this(SpiffeIdRule.Empty, message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public SpiffeIdFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Rule = SpiffeIdRule.Empty;
    }

    /// <summary>Creates the exception for a broken rule.</summary>
    /// <param name="rule">The rule that failed.</param>
    /// <param name="message">What was wrong.</param>
    public SpiffeIdFormatException(SpiffeIdRule rule, string message)
        : base(message)
    {
        Rule = rule;
    }

    /// <summary>The rule of the SPIFFE-ID standard that the input broke.</summary>
    public SpiffeIdRule Rule { get; }
}
