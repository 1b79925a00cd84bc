using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// Builds one request's <see cref="CedarContext"/> field by field without intermediate collections or boxing: sized
/// once for the fields it will hold, with typed adds for the common values and <see cref="CedarValue"/> for values
/// converted ahead of time. Gives the same context as <see cref="CedarContext.FromValues"/> with the same fields.
/// A builder builds one context; it cannot be used after <see cref="Build"/>.
/// </summary>
public sealed class CedarContextBuilder
{
    private Dictionary<string, Value>? _fields;

    /// <summary>Creates a builder for about <paramref name="capacity"/> fields (more may be added).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public CedarContextBuilder(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _fields = new Dictionary<string, Value>(capacity, StringComparer.Ordinal);
    }

    /// <summary>Adds a string field.</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    /// <exception cref="ArgumentNullException">The name or value is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Put(name, new StringValue(value));
    }

    /// <summary>Adds a Long field.</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, long value) => Put(name, LongValue.Of(value));

    /// <summary>Adds a Bool field.</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, bool value) => Put(name, BoolValue.Of(value));

    /// <summary>Adds a <c>datetime()</c> field (milliseconds since the Unix epoch, as <see cref="CedarContext.FromValues"/>).</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, DateTimeOffset value) => Put(name, new DatetimeValue(value.ToUnixTimeMilliseconds()));

    /// <summary>Adds a field whose value was converted ahead of time.</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    /// <exception cref="ArgumentNullException">The name or value is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, CedarValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Put(name, value.Value);
    }

    /// <summary>Adds a field from a .NET value (see <see cref="CedarContext"/> for the mapping).</summary>
    /// <exception cref="ArgumentException">The name is already present, or the value has no Cedar representation.</exception>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContextBuilder Add(string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Put(name, CedarContext.Convert(value, "context", name));
    }

    /// <summary>The context; the builder cannot be used afterwards.</summary>
    /// <exception cref="InvalidOperationException">The context was already built.</exception>
    public CedarContext Build()
    {
        var fields = _fields ?? throw Built();
        _fields = null;
        return new CedarContext(new RecordValue(fields));
    }

    private CedarContextBuilder Put(string name, Value value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var fields = _fields ?? throw Built();
        if (!fields.TryAdd(name, value))
        {
            throw new ArgumentException($"context: duplicate key `{name}`", nameof(name));
        }
        return this;
    }

    private static InvalidOperationException Built() => new("This builder's context was already built; use a new builder per request.");
}
