namespace Aztp.Policy.Internal;

/// <summary>A Cedar runtime error (type error, missing attribute or entity, overflow, extension error).</summary>
internal sealed class EvaluationException : Exception
{
    public EvaluationException()
    {
    }

    public EvaluationException(string message)
        : base(message)
    {
    }

    public EvaluationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public static EvaluationException Type(string expected, Value got) =>
        new($"type error: expected {expected}, got {got.TypeName}");
}
