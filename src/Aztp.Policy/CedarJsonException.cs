namespace Aztp.Policy;

/// <summary>
/// Entities, context or a request given in Cedar's JSON format are malformed (wrong shape, bad entity reference,
/// non-integer number, unknown extension function, duplicate entity, or a cycle in the entity hierarchy).
/// </summary>
public sealed class CedarJsonException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CedarJsonException()
        : base("malformed Cedar JSON")
    {
    }

    /// <summary>Creates the exception with a message saying what is wrong.</summary>
    public CedarJsonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public CedarJsonException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
