namespace Aztp.Policy;

/// <summary>
/// Cedar policy text could not be parsed. Carries the position of the error: 1-based <see cref="Line"/> and
/// <see cref="Column"/>, the 0-based character <see cref="Offset"/>, and the <see cref="FileName"/> file when known.
/// </summary>
public sealed class PolicyParseException : Exception
{
    /// <summary>Creates an exception without position (prefer the positional constructor).</summary>
    public PolicyParseException()
        : this("invalid Cedar policy text")
    {
    }

    /// <summary>Creates an exception without position (prefer the positional constructor).</summary>
    public PolicyParseException(string message)
        : base(message)
    {
        Detail = message;
        Line = 1;
        Column = 1;
    }

    /// <summary>Creates an exception without position (prefer the positional constructor).</summary>
    public PolicyParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Detail = message;
        Line = 1;
        Column = 1;
    }

    /// <summary>Creates an exception for an error at a position of a text.</summary>
    /// <param name="detail">What is wrong, without position.</param>
    /// <param name="line">1-based line.</param>
    /// <param name="column">1-based column.</param>
    /// <param name="offset">0-based character offset.</param>
    /// <param name="source">The file the text came from, if any.</param>
    public PolicyParseException(string detail, int line, int column, int offset, string? source)
        : base($"{(source is null ? string.Empty : source + ":")}{line}:{column}: {detail}")
    {
        Detail = detail;
        Line = line;
        Column = column;
        Offset = offset;
        FileName = source;
    }

    /// <summary>What is wrong, without the position prefix.</summary>
    public string Detail { get; }

    /// <summary>1-based line of the error.</summary>
    public int Line { get; }

    /// <summary>1-based column of the error.</summary>
    public int Column { get; }

    /// <summary>0-based character offset of the error.</summary>
    public int Offset { get; }

    /// <summary>The file the policy text came from, or null for text from a string.</summary>
    public string? FileName { get; }
}
