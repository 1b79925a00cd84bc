using System.Collections.Immutable;
using System.Globalization;

namespace Aztp.Core;

/// <summary>
/// One immutable value in an event's <see cref="SecurityEvent.Data"/>: null, string, boolean, integer, number, array or object.
/// Implicit conversions make building data natural: <c>["allowed"] = true</c>, <c>["statusCode"] = 7</c>.
/// </summary>
public readonly struct EventValue : IEquatable<EventValue>
{
    // Two words (16 bytes) per value: the reference says the kind — null, a string, an EventData, a boxed
    // ImmutableArray, or for booleans and numbers a shared tag — and the bits hold a boolean or number.
    private static readonly KindTag BooleanTag = new(EventValueKind.Boolean);
    private static readonly KindTag IntegerTag = new(EventValueKind.Integer);
    private static readonly KindTag NumberTag = new(EventValueKind.Number);
    private readonly object? _ref;
    private readonly long _bits;

    private EventValue(object? reference, long bits)
    {
        _ref = reference;
        _bits = bits;
    }

    /// <summary>The JSON null value.</summary>
    public static EventValue Null => default;

    /// <summary>The kind of this value.</summary>
    public EventValueKind Kind => _ref switch
    {
        null => EventValueKind.Null,
        string => EventValueKind.String,
        KindTag tag => tag.Kind,
        EventData => EventValueKind.Object,
        _ => EventValueKind.Array,
    };

    /// <summary>Whether this is JSON null.</summary>
    public bool IsNull => _ref is null;

    /// <summary>The value's reference part, for identity checks inside Core (a reused array value is the same object).</summary>
    internal object? Reference => _ref;

    /// <summary>Creates a string value; a <see langword="null"/> string becomes <see cref="Null"/>.</summary>
    public static EventValue FromString(string? value) => value is null ? default : new(value, 0);

    /// <summary>Creates a boolean value.</summary>
    public static EventValue FromBoolean(bool value) => new(BooleanTag, value ? 1 : 0);

    /// <summary>Creates an integer value.</summary>
    public static EventValue FromInteger(long value) => new(IntegerTag, value);

    /// <summary>Creates a number value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite, which JSON cannot represent.</exception>
    public static EventValue FromNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Event numbers must be finite: JSON has no NaN or infinity.");
        }
        return new(NumberTag, BitConverter.DoubleToInt64Bits(value));
    }

    /// <summary>A number value from the bits of a finite double (already checked by <see cref="FromNumber"/>).</summary>
    internal static EventValue FromNumberBits(long bits) => new(NumberTag, bits);

    /// <summary>The bits of a number value (meaningful only when <see cref="Kind"/> is <see cref="EventValueKind.Number"/>).</summary>
    internal long NumberBits => _bits;

    /// <summary>Creates an array value.</summary>
    public static EventValue FromArray(ImmutableArray<EventValue> values) =>
        new(values.IsDefault ? ImmutableArray<EventValue>.Empty : values, 0);

    /// <summary>Creates an array of strings.</summary>
    public static EventValue FromStrings(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var builder = ImmutableArray.CreateBuilder<EventValue>();
        foreach (var v in values)
        {
            builder.Add(FromString(v));
        }
        return FromArray(builder.ToImmutable());
    }

    /// <summary>Creates an object value; a <see langword="null"/> object becomes <see cref="Null"/>.</summary>
    public static EventValue FromObject(EventData? value) => value is null ? default : new(value, 0);

    /// <summary>The string, when <see cref="Kind"/> is <see cref="EventValueKind.String"/>; otherwise <see langword="null"/>.</summary>
    public string? AsString() => _ref as string;

    /// <summary>The boolean, when <see cref="Kind"/> is <see cref="EventValueKind.Boolean"/>; otherwise <see langword="null"/>.</summary>
    public bool? AsBoolean() => ReferenceEquals(_ref, BooleanTag) ? _bits != 0 : null;

    /// <summary>The integer, when <see cref="Kind"/> is <see cref="EventValueKind.Integer"/>; otherwise <see langword="null"/>.</summary>
    public long? AsInteger() => ReferenceEquals(_ref, IntegerTag) ? _bits : null;

    /// <summary>The number (integers widened), when the value is numeric; otherwise <see langword="null"/>.</summary>
    public double? AsNumber() => Kind switch
    {
        EventValueKind.Number => BitConverter.Int64BitsToDouble(_bits),
        EventValueKind.Integer => _bits,
        _ => null,
    };

    /// <summary>The elements, when <see cref="Kind"/> is <see cref="EventValueKind.Array"/>; otherwise an empty array.</summary>
    public ImmutableArray<EventValue> AsArray() => Kind == EventValueKind.Array ? (ImmutableArray<EventValue>)_ref! : [];

    /// <summary>The nested object, when <see cref="Kind"/> is <see cref="EventValueKind.Object"/>; otherwise <see langword="null"/>.</summary>
    public EventData? AsObject() => _ref as EventData;

    /// <summary>Converts a string.</summary>
    public static implicit operator EventValue(string? value) => FromString(value);

    /// <summary>Converts a boolean.</summary>
    public static implicit operator EventValue(bool value) => FromBoolean(value);

    /// <summary>Converts an integer.</summary>
    public static implicit operator EventValue(int value) => FromInteger(value);

    /// <summary>Converts an integer.</summary>
    public static implicit operator EventValue(long value) => FromInteger(value);

    /// <summary>Converts a number.</summary>
    public static implicit operator EventValue(double value) => FromNumber(value);

    /// <summary>Converts a nested object.</summary>
    public static implicit operator EventValue(EventData? value) => FromObject(value);

    /// <summary>Converts an array.</summary>
    public static implicit operator EventValue(ImmutableArray<EventValue> value) => FromArray(value);

    /// <summary>Named alternative to the implicit string conversion.</summary>
    public static EventValue ToEventValue(string? value) => FromString(value);

    /// <inheritdoc/>
    public bool Equals(EventValue other)
    {
        var kind = Kind;
        if (kind != other.Kind)
        {
            return false;
        }
        return kind switch
        {
            EventValueKind.Null => true,
            EventValueKind.String => string.Equals((string)_ref!, (string)other._ref!, StringComparison.Ordinal),
            EventValueKind.Boolean or EventValueKind.Integer or EventValueKind.Number => _bits == other._bits,
            EventValueKind.Array => AsArray().AsSpan().SequenceEqual(other.AsArray().AsSpan()),
            EventValueKind.Object => ((EventData)_ref!).Equals((EventData)other._ref!),
            _ => false,
        };
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EventValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Kind switch
    {
        EventValueKind.String => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode((string)_ref!)),
        EventValueKind.Array => HashCode.Combine(Kind, AsArray().Length),
        EventValueKind.Object => HashCode.Combine(Kind, ((EventData)_ref!).Count),
        _ => HashCode.Combine(Kind, _bits),
    };

    /// <summary>Whether two values are equal.</summary>
    public static bool operator ==(EventValue left, EventValue right) => left.Equals(right);

    /// <summary>Whether two values differ.</summary>
    public static bool operator !=(EventValue left, EventValue right) => !left.Equals(right);

    /// <summary>A short human-readable rendering (not the canonical JSON).</summary>
    public override string ToString() => Kind switch
    {
        EventValueKind.Null => "null",
        EventValueKind.String => (string)_ref!,
        EventValueKind.Boolean => _bits != 0 ? "true" : "false",
        EventValueKind.Integer => _bits.ToString(CultureInfo.InvariantCulture),
        EventValueKind.Number => BitConverter.Int64BitsToDouble(_bits).ToString("R", CultureInfo.InvariantCulture),
        EventValueKind.Array => "[" + string.Join(",", AsArray()) + "]",
        EventValueKind.Object => "{…}",
        _ => string.Empty,
    };

    private sealed class KindTag(EventValueKind kind)
    {
        public EventValueKind Kind { get; } = kind;
    }
}
