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
    // Up to RecordValue.SmallLimit fields: an array handed to the record as is (one allocation, duplicate keys found by
    // an ordinal scan); beyond that, a dictionary.
    private KeyValuePair<string, Value>[]? _small;
    private int _count;
    private Dictionary<string, Value>? _fields;
    private bool _built;

    /// <summary>Creates a builder for about <paramref name="capacity"/> fields (more may be added).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public CedarContextBuilder(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (capacity <= RecordValue.SmallLimit)
        {
            _small = capacity == 0 ? [] : new KeyValuePair<string, Value>[capacity];
        }
        else
        {
            _fields = new Dictionary<string, Value>(capacity, StringComparer.Ordinal);
        }
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
        if (_built)
        {
            throw Built();
        }
        _built = true;
        var record = _fields is not null ? new RecordValue(_fields) : new RecordValue(_small!, _count);
        _fields = null;
        _small = null;
        return new CedarContext(record);
    }

    private CedarContextBuilder Put(string name, Value value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_built)
        {
            throw Built();
        }
        if (_fields is not null)
        {
            if (!_fields.TryAdd(name, value))
            {
                throw Duplicate(name);
            }
            return this;
        }
        var small = _small!;
        if (RecordValue.IndexOf(small, _count, name) >= 0)
        {
            throw Duplicate(name);
        }
        if (_count == small.Length)
        {
            if (_count == RecordValue.SmallLimit)
            {
                // More fields than an array record holds: move to a dictionary.
                var fields = new Dictionary<string, Value>(_count + 1, StringComparer.Ordinal);
                for (var i = 0; i < _count; i++)
                {
                    fields.Add(small[i].Key, small[i].Value);
                }
                fields.Add(name, value);
                _fields = fields;
                _small = null;
                return this;
            }
            Array.Resize(ref small, Math.Min(RecordValue.SmallLimit, Math.Max(4, _count * 2)));
            _small = small;
        }
        small[_count++] = new KeyValuePair<string, Value>(name, value);
        return this;
    }

    private static ArgumentException Duplicate(string name) => new($"context: duplicate key `{name}`", nameof(name));

    private static InvalidOperationException Built() => new("This builder's context was already built; use a new builder per request.");
}
