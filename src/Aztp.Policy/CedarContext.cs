using System.Globalization;
using System.Text.Json;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// The <c>context</c> record of a request. Built from Cedar's JSON (with <c>__entity</c>/<c>__extn</c> escapes) or
/// from .NET values: <see cref="string"/>, <see cref="bool"/>, integers, <see cref="EntityUid"/>,
/// <see cref="System.Net.IPAddress"/> (as <c>ip()</c>), <see cref="DateTimeOffset"/> (as <c>datetime()</c>),
/// <see cref="TimeSpan"/> (as <c>duration()</c>), sequences (sets) and string-keyed dictionaries (records).
/// </summary>
public sealed class CedarContext
{
    internal CedarContext(RecordValue record) => Record = record;

    /// <summary>The empty context <c>{}</c>.</summary>
    public static CedarContext Empty { get; } = new(RecordValue.Empty);

    internal RecordValue Record { get; }

    /// <summary>The names of the context's top-level fields.</summary>
    public IEnumerable<string> Keys => Record.Keys;

    /// <summary>Parses a JSON object in Cedar's value format.</summary>
    /// <exception cref="CedarJsonException">The JSON is not an object or holds a value Cedar cannot represent.</exception>
    public static CedarContext FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromJson(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new CedarJsonException($"context: invalid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a JSON object in Cedar's value format.</summary>
    /// <exception cref="CedarJsonException">The JSON is not an object or holds a value Cedar cannot represent.</exception>
    public static CedarContext FromJson(JsonElement json) => new(CedarJson.ParseContext(json));

    /// <summary>Builds a context from .NET values (see the type's remarks for the mapping).</summary>
    /// <exception cref="ArgumentException">A value has no Cedar representation (null, floating point, …).</exception>
    public static CedarContext FromValues(IEnumerable<KeyValuePair<string, object?>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return new((RecordValue)Convert(fields, "context", null));
    }

    // `where` names the position for error messages; the field's path is only built when a message needs it.
    internal static Value Convert(object? o, string where, string? key)
    {
        switch (o)
        {
            case null:
                throw new ArgumentException($"{Path(where, key)}: null has no Cedar representation", nameof(o));
            case bool b:
                return BoolValue.Of(b);
            case string s:
                return new StringValue(s);
            case int or long or short or byte or sbyte or ushort or uint:
                return LongValue.Of(System.Convert.ToInt64(o, CultureInfo.InvariantCulture));
            case EntityUid uid:
                return new EntityValue(uid);
            case System.Net.IPAddress { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } v4:
                {
                    // A dotted quad read straight from its four bytes: the same value as ip("a.b.c.d").
                    Span<byte> bytes = stackalloc byte[4];
                    v4.TryWriteBytes(bytes, out _);
                    return new IpValue(false, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes), 32);
                }
            case System.Net.IPAddress ip:
                return Extensions.ParseIp(ip.ToString()) ?? throw new ArgumentException($"{Path(where, key)}: IP address {ip} is not representable in Cedar", nameof(o));
            case DateTimeOffset dto:
                return new DatetimeValue(dto.ToUnixTimeMilliseconds());
            case TimeSpan ts:
                return new DurationValue((long)ts.TotalMilliseconds);
            case IEnumerable<KeyValuePair<string, object?>> rec:
                {
                    var d = new Dictionary<string, Value>(StringComparer.Ordinal);
                    foreach (var (k, v) in rec)
                    {
                        if (!d.TryAdd(k, Convert(v, Path(where, key), k)))
                        {
                            throw new ArgumentException($"{Path(where, key)}: duplicate key `{k}`", nameof(o));
                        }
                    }
                    return new RecordValue(d);
                }
            case System.Collections.IEnumerable seq:
                {
                    var set = new HashSet<Value>();
                    foreach (var item in seq)
                    {
                        set.Add(Convert(item, Path(where, key) + "[]", null));
                    }
                    return new SetValue(set);
                }
            default:
                throw new ArgumentException($"{Path(where, key)}: values of type {o.GetType().Name} have no Cedar representation", nameof(o));
        }
    }

    private static string Path(string where, string? key) => key is null ? where : $"{where}.{key}";
}
