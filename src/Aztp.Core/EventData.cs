using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Aztp.Core;

/// <summary>
/// The immutable, type-specific fields of a <see cref="SecurityEvent"/> (<c>action</c>, <c>success</c>, <c>method</c>, …).
/// Keys are kept in canonical order — <c>action</c>, then <c>success</c>, then the rest in ordinal order — so the same
/// content always serializes to the same bytes.
/// </summary>
public sealed class EventData : IReadOnlyDictionary<string, EventValue>, IEquatable<EventData>
{
    private readonly KeySet _keySet;
    private readonly EventValue[] _values;
    // One number that replaces the value at _patchIndex (-1: none), so that data differing from other data only in
    // one number (an rpc response's durationMs, call after call) shares that data's key and value arrays instead of
    // copying them. Every read goes through Value(i), so the content seen from outside is the same either way.
    private readonly int _patchIndex;
    private readonly long _patchBits;

    private EventData(string[] keys, EventValue[] values)
        : this(new KeySet(keys, notSensitive: false), values)
    {
    }

    private EventData(KeySet keys, EventValue[] values)
    {
        _keySet = keys;
        _values = values;
        _patchIndex = -1;
    }

    private EventData(KeySet keys, EventValue[] values, int patchIndex, long patchBits)
    {
        _keySet = keys;
        _values = values;
        _patchIndex = patchIndex;
        _patchBits = patchBits;
    }

    /// <summary>An object with no fields.</summary>
    public static EventData Empty { get; } = new([], []);

    /// <summary>Creates data from key/value pairs.</summary>
    /// <exception cref="ArgumentException">A key is null, empty or repeated.</exception>
    public static EventData Of(params ReadOnlySpan<KeyValuePair<string, EventValue>> fields)
    {
        if (fields.IsEmpty)
        {
            return Empty;
        }
        var keys = new string[fields.Length];
        var values = new EventValue[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            ValidateKey(fields[i].Key);
            keys[i] = fields[i].Key;
            values[i] = fields[i].Value;
        }
        return FromArrays(keys, values);
    }

    /// <summary>
    /// Takes ownership of parallel key and value arrays (keys already validated as non-empty), puts them in canonical
    /// order and rejects repeated keys. Event data is small (a handful of fields), so an insertion sort without a
    /// comparer object is the cheapest correct order.
    /// </summary>
    internal static EventData FromArrays(string[] keys, EventValue[] values)
    {
        for (var i = 1; i < keys.Length; i++)
        {
            var key = keys[i];
            var value = values[i];
            var j = i - 1;
            while (j >= 0 && CanonicalKeyComparer.Instance.Compare(keys[j], key) > 0)
            {
                keys[j + 1] = keys[j];
                values[j + 1] = values[j];
                j--;
            }
            keys[j + 1] = key;
            values[j + 1] = value;
        }
        for (var i = 1; i < keys.Length; i++)
        {
            if (string.Equals(keys[i - 1], keys[i], StringComparison.Ordinal))
            {
                throw new ArgumentException($"Event data key '{keys[i]}' appears more than once.", nameof(keys));
            }
        }
        return new EventData(keys, values);
    }

    /// <summary>
    /// Data whose keys are already validated, distinct and in canonical order. The keys array may be shared between
    /// events (it is never written after this point); the values array is owned.
    /// </summary>
    /// <param name="keys">The keys in canonical order (shared by the events of one shape).</param>
    /// <param name="values">The values, in the keys' order.</param>
    internal static EventData FromCanonical(KeySet keys, EventValue[] values) => new(keys, values);

    /// <summary>
    /// This data with the value at <paramref name="index"/> replaced by a number (same keys and order); the arrays are
    /// shared, not copied. <paramref name="number"/> must be a number value (<see cref="EventValue.FromNumber"/>, which
    /// has already rejected NaN and infinities).
    /// </summary>
    /// <param name="index">A position in canonical order.</param>
    /// <param name="number">The new value.</param>
    internal EventData WithNumberAt(int index, EventValue number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (number.Kind != EventValueKind.Number)
        {
            throw new ArgumentException("Only a number value can replace a field here.", nameof(number));
        }
        // A patched data shares its arrays only when the patch is at the same place; otherwise it is copied first.
        var values = _patchIndex < 0 || _patchIndex == index ? _values : CopyValues();
        return new EventData(_keySet, values, index, number.NumberBits);
    }

    /// <summary>
    /// Whether this data has the same keys and value instances as <paramref name="other"/> except, at most, at one
    /// position where both hold a number (this data made from the other's arrays by <see cref="WithNumberAt"/>, or
    /// both from the same one's). A number holds no text and its key is the same, so redaction treats both alike.
    /// </summary>
    internal bool DiffersAtMostInANumberFrom(EventData other)
    {
        if (!ReferenceEquals(_keySet, other._keySet) || !ReferenceEquals(_values, other._values))
        {
            return false;
        }
        if (_patchIndex == other._patchIndex)
        {
            // The same arrays: equal everywhere, or both replaced the same position with a number.
            return true;
        }
        // This one replaced a position where the other (not replaced anywhere) holds a number.
        return other._patchIndex < 0 && _values[_patchIndex].Kind == EventValueKind.Number;
    }

    /// <summary>The position of a key in canonical order, or -1.</summary>
    internal int IndexOfKey(string key) => IndexOf(key);

    /// <summary>True when it is known that no key is sensitive (<see cref="EventRedactor.IsSensitiveKey"/>).</summary>
    internal bool KeysNotSensitive => _keySet.NotSensitive;

    /// <summary>The value of <c>action</c> (for example <c>verified</c> or <c>evaluated</c>), or <see langword="null"/>.</summary>
    public string? Action => TryGetValue("action", out var v) ? v.AsString() : null;

    /// <summary>The value of <c>success</c>, or <see langword="null"/> when absent.</summary>
    public bool? Success => TryGetValue("success", out var v) ? v.AsBoolean() : null;

    /// <inheritdoc/>
    public int Count => _keySet.Items.Length;

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _keySet.Items;

    /// <inheritdoc/>
    public IEnumerable<EventValue> Values => _patchIndex < 0 ? _values : CopyValues();

    /// <summary>The key at a position in canonical order.</summary>
    public string KeyAt(int index) => _keySet.Items[index];

    /// <summary>The value at a position in canonical order.</summary>
    public EventValue ValueAt(int index) => Value(index);

    /// <inheritdoc/>
    public EventValue this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"Event data has no field '{key}'.");

    /// <inheritdoc/>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out EventValue value)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            value = default;
            return false;
        }
        value = Value(i);
        return true;
    }

    /// <summary>A copy with one field set (added or replaced).</summary>
    public EventData With(string key, EventValue value)
    {
        var builder = ToBuilder();
        builder[key] = value;
        return builder.Build();
    }

    /// <summary>A builder holding this data's fields.</summary>
    public Builder ToBuilder()
    {
        var builder = new Builder();
        for (var i = 0; i < _keySet.Items.Length; i++)
        {
            builder[_keySet.Items[i]] = Value(i);
        }
        return builder;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, EventValue>> GetEnumerator()
    {
        for (var i = 0; i < _keySet.Items.Length; i++)
        {
            yield return new KeyValuePair<string, EventValue>(_keySet.Items[i], Value(i));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(EventData? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }
        for (var i = 0; i < _keySet.Items.Length; i++)
        {
            if (!string.Equals(_keySet.Items[i], other._keySet.Items[i], StringComparison.Ordinal) || !Value(i).Equals(other.Value(i)))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EventData other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < _keySet.Items.Length; i++)
        {
            hash.Add(_keySet.Items[i], StringComparer.Ordinal);
            hash.Add(Value(i));
        }
        return hash.ToHashCode();
    }

    // The value at a position; out of range throws as an array index does (ValueAt's behaviour is unchanged).
    private EventValue Value(int index) =>
        index == _patchIndex && index >= 0 ? EventValue.FromNumberBits(_patchBits) : _values[index];

    private EventValue[] CopyValues()
    {
        var copy = (EventValue[])_values.Clone();
        copy[_patchIndex] = EventValue.FromNumberBits(_patchBits);
        return copy;
    }

    private int IndexOf(string key)
    {
        for (var i = 0; i < _keySet.Items.Length; i++)
        {
            if (string.Equals(_keySet.Items[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("Event data keys must be non-empty strings.", nameof(key));
        }
    }

    /// <summary>Collects fields, then builds an immutable <see cref="EventData"/>. Setting a key twice keeps the last value.</summary>
    public sealed class Builder : IEnumerable<KeyValuePair<string, EventValue>>
    {
        private readonly List<KeyValuePair<string, EventValue>> _fields = new(8);

        /// <summary>Sets a field.</summary>
        public EventValue this[string key]
        {
            set
            {
                ValidateKey(key);
                for (var i = 0; i < _fields.Count; i++)
                {
                    if (string.Equals(_fields[i].Key, key, StringComparison.Ordinal))
                    {
                        _fields[i] = new(key, value);
                        return;
                    }
                }
                _fields.Add(new(key, value));
            }
        }

        /// <summary>Adds a field (collection-initializer support); a repeated key replaces the earlier value.</summary>
        public void Add(string key, EventValue value) => this[key] = value;

        /// <summary>Builds the immutable data.</summary>
        public EventData Build() => Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_fields));

        /// <inheritdoc/>
        public IEnumerator<KeyValuePair<string, EventValue>> GetEnumerator() => _fields.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Keys in canonical order, and whether it is known that none is sensitive (checked once for a key set that many
    /// events share, so redaction then only looks at the values). Never modified.
    /// </summary>
    internal sealed class KeySet(string[] items, bool notSensitive)
    {
        public string[] Items { get; } = items;

        public bool NotSensitive { get; } = notSensitive;
    }

    /// <summary>Orders keys canonically: <c>action</c>, <c>success</c>, then ordinal.</summary>
    internal sealed class CanonicalKeyComparer : IComparer<string>
    {
        public static readonly CanonicalKeyComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var rx = Rank(x);
            var ry = Rank(y);
            return rx != ry ? rx.CompareTo(ry) : string.CompareOrdinal(x, y);
        }

        private static int Rank(string? key) => key switch
        {
            "action" => 0,
            "success" => 1,
            _ => 2,
        };
    }
}
