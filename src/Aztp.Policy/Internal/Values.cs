using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Aztp.Policy.Internal;

/// <summary>A Cedar runtime value. Equality is structural, as in Cedar's <c>==</c>.</summary>
internal abstract class Value : IEquatable<Value>
{
    public abstract string TypeName { get; }

    public abstract bool Equals(Value? other);

    public override bool Equals(object? obj) => Equals(obj as Value);

    public abstract override int GetHashCode();
}

internal sealed class BoolValue : Value
{
    public static readonly BoolValue True = new(true);
    public static readonly BoolValue False = new(false);

    private BoolValue(bool v) => V = v;

    public bool V { get; }

    public static BoolValue Of(bool v) => v ? True : False;

    public override string TypeName => "bool";

    public override bool Equals(Value? other) => other is BoolValue b && b.V == V;

    public override int GetHashCode() => V ? 1 : 2;

    public override string ToString() => V ? "true" : "false";
}

internal sealed class LongValue : Value
{
    private static readonly LongValue[] Small = CreateSmall();

    private LongValue(long v) => V = v;

    public long V { get; }

    public static LongValue Of(long v) => v is >= -16 and < 256 ? Small[v + 16] : new LongValue(v);

    private static LongValue[] CreateSmall()
    {
        var a = new LongValue[272];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = new LongValue(i - 16);
        }
        return a;
    }

    public override string TypeName => "long";

    public override bool Equals(Value? other) => other is LongValue l && l.V == V;

    public override int GetHashCode() => V.GetHashCode();

    public override string ToString() => V.ToString(CultureInfo.InvariantCulture);
}

internal sealed class StringValue : Value
{
    public static readonly StringValue Empty = new(string.Empty);

    public StringValue(string v) => V = v;

    public string V { get; }

    public override string TypeName => "string";

    public override bool Equals(Value? other) => other is StringValue s && string.Equals(s.V, V, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(V);

    public override string ToString()
    {
        var sb = new StringBuilder("\"");
        EntityUid.AppendEscaped(sb, V);
        return sb.Append('"').ToString();
    }
}

internal sealed class EntityValue : Value
{
    public EntityValue(EntityUid uid) => Uid = uid;

    public EntityUid Uid { get; }

    public override string TypeName => $"(entity of type `{Uid.Type}`)";

    public override bool Equals(Value? other) => other is EntityValue e && e.Uid.Equals(Uid);

    public override int GetHashCode() => Uid.GetHashCode();

    public override string ToString() => Uid.ToString();
}

internal sealed class SetValue : Value
{
    public static readonly SetValue Empty = new(new HashSet<Value>());

    private int _hash;

    public SetValue(HashSet<Value> items) => Items = items;

    public HashSet<Value> Items { get; }

    public override string TypeName => "set";

    public override bool Equals(Value? other) =>
        other is SetValue s && (ReferenceEquals(s, this) || (s.Items.Count == Items.Count && s.Items.SetEquals(Items)));

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            // Order-independent: sets are unordered.
            var h = 17 + Items.Count;
            foreach (var v in Items)
            {
                h ^= v.GetHashCode() * 31;
            }
            _hash = h == 0 ? 1 : h;
        }
        return _hash;
    }

    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}

internal sealed class RecordValue : Value
{
    /// <summary>Records of up to this many fields may be kept as an array (looked up by ordinal scan, no hashing).</summary>
    public const int SmallLimit = 8;

    public static readonly RecordValue Empty = new(new Dictionary<string, Value>(StringComparer.Ordinal));

    // One of two forms: a dictionary, or (for a request context's few fields) an array of distinct keys in insertion
    // order, which costs one allocation instead of a dictionary's three. Both enumerate in insertion order.
    private readonly Dictionary<string, Value>? _dict;
    private readonly KeyValuePair<string, Value>[]? _small;
    private readonly int _count;
    private int _hash;

    public RecordValue(Dictionary<string, Value> attrs)
    {
        _dict = attrs;
        _count = -1;
    }

    /// <summary>A record over <paramref name="count"/> fields of <paramref name="fields"/>, whose keys the caller made distinct.</summary>
    public RecordValue(KeyValuePair<string, Value>[] fields, int count)
    {
        _small = fields;
        _count = count;
    }

    public int Count => _dict?.Count ?? _count;

    public IEnumerable<string> Keys => _dict?.Keys ?? Fields.Select(static f => f.Key);

    /// <summary>The fields in insertion order.</summary>
    public IEnumerable<KeyValuePair<string, Value>> Fields => _dict ?? (IEnumerable<KeyValuePair<string, Value>>)new ArraySegment<KeyValuePair<string, Value>>(_small!, 0, _count);

    public bool ContainsKey(string key) => _dict?.ContainsKey(key) ?? IndexOf(_small!, _count, key) >= 0;

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Value value)
    {
        if (_dict is not null)
        {
            return _dict.TryGetValue(key, out value);
        }
        var i = IndexOf(_small!, _count, key);
        value = i >= 0 ? _small![i].Value : null;
        return i >= 0;
    }

    internal static int IndexOf(KeyValuePair<string, Value>[] fields, int count, string key)
    {
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(fields[i].Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    public override string TypeName => "record";

    public override bool Equals(Value? other)
    {
        if (other is not RecordValue r)
        {
            return false;
        }
        if (ReferenceEquals(r, this))
        {
            return true;
        }
        if (r.Count != Count)
        {
            return false;
        }
        foreach (var (k, v) in Fields)
        {
            if (!r.TryGetValue(k, out var ov) || !ov.Equals(v))
            {
                return false;
            }
        }
        return true;
    }

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = 23 + Count;
            foreach (var (k, v) in Fields)
            {
                h ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(k), v.GetHashCode());
            }
            _hash = h == 0 ? 1 : h;
        }
        return _hash;
    }

    public override string ToString() => "{" + string.Join(", ", Fields.Select(kv => kv.Key + ": " + kv.Value)) + "}";
}

/// <summary>An <c>ipaddr</c> extension value: an address and a prefix length (not normalized, as in Cedar).</summary>
internal sealed class IpValue : Value
{
    public IpValue(bool v6, UInt128 addr, int prefix)
    {
        IsV6 = v6;
        Addr = addr;
        Prefix = prefix;
    }

    public bool IsV6 { get; }

    public UInt128 Addr { get; }

    public int Prefix { get; }

    public int Width => IsV6 ? 128 : 32;

    public override string TypeName => "ipaddr";

    public UInt128 Low => Addr & Mask;

    public UInt128 High => Low | (~Mask & (IsV6 ? UInt128.MaxValue : uint.MaxValue));

    private UInt128 Mask => Prefix == 0 ? UInt128.Zero : (IsV6 ? UInt128.MaxValue : uint.MaxValue) ^ (((UInt128)1 << (Width - Prefix)) - 1);

    public bool InRange(IpValue range) => IsV6 == range.IsV6 && Low >= range.Low && High <= range.High;

    public override bool Equals(Value? other) => other is IpValue i && i.IsV6 == IsV6 && i.Addr == Addr && i.Prefix == Prefix;

    public override int GetHashCode() => HashCode.Combine(IsV6, Addr, Prefix);

    public override string ToString() => $"ip(\"{(IsV6 ? "v6" : "v4")}:{Addr}/{Prefix}\")";
}

/// <summary>A <c>decimal</c> extension value: a 64-bit integer scaled by 10^4.</summary>
internal sealed class DecimalValue : Value
{
    public DecimalValue(long scaled) => Scaled = scaled;

    public long Scaled { get; }

    public override string TypeName => "decimal";

    public override bool Equals(Value? other) => other is DecimalValue d && d.Scaled == Scaled;

    public override int GetHashCode() => Scaled.GetHashCode() ^ 0x5a5a;

    public override string ToString() => $"decimal({Scaled})";
}

/// <summary>A <c>datetime</c> extension value: milliseconds since the Unix epoch.</summary>
internal sealed class DatetimeValue : Value
{
    public DatetimeValue(long ms) => Ms = ms;

    public long Ms { get; }

    public override string TypeName => "datetime";

    public override bool Equals(Value? other) => other is DatetimeValue d && d.Ms == Ms;

    public override int GetHashCode() => Ms.GetHashCode() ^ 0x3c3c;

    public override string ToString() => $"datetime({Ms})";
}

/// <summary>A <c>duration</c> extension value in milliseconds.</summary>
internal sealed class DurationValue : Value
{
    public DurationValue(long ms) => Ms = ms;

    public long Ms { get; }

    public override string TypeName => "duration";

    public override bool Equals(Value? other) => other is DurationValue d && d.Ms == Ms;

    public override int GetHashCode() => Ms.GetHashCode() ^ 0x6969;

    public override string ToString() => $"duration({Ms})";
}

/// <summary>An entity in the store: attributes, tags and the transitive closure of its ancestors.</summary>
internal sealed class EntityData
{
    public EntityData(EntityUid uid, Dictionary<string, Value> attrs, Dictionary<string, Value> tags, List<EntityUid> parents)
    {
        Uid = uid;
        Attrs = attrs;
        Tags = tags;
        Parents = parents;
        Ancestors = FrozenSet<EntityUid>.Empty;
    }

    public EntityUid Uid { get; }

    public Dictionary<string, Value> Attrs { get; }

    public Dictionary<string, Value> Tags { get; }

    public List<EntityUid> Parents { get; }

    public FrozenSet<EntityUid> Ancestors { get; set; }
}
