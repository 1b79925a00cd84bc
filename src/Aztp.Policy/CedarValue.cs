using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// One Cedar value converted from .NET once (with the mapping of <see cref="CedarContext.FromValues"/>), so that a
/// value shared by many requests — a caller's trust domain, a method name, an address — is converted only once and
/// then added to each request's context with <see cref="CedarContextBuilder"/>. Immutable.
/// </summary>
public sealed class CedarValue
{
    private CedarValue(Value value) => Value = value;

    internal Value Value { get; }

    /// <summary>A Cedar string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static CedarValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new StringValue(value));
    }

    /// <summary>Converts a .NET value (see <see cref="CedarContext"/> for the mapping).</summary>
    /// <exception cref="ArgumentException">The value has no Cedar representation (null, floating point, …).</exception>
    public static CedarValue From(object? value) => new(CedarContext.Convert(value, "value", null));

    /// <inheritdoc/>
    public override string ToString() => Value.ToString() ?? string.Empty;
}
