using System.Collections.Frozen;
using System.Text.Json;

namespace Aztp.Policy.Internal;

/// <summary>Reads Cedar's JSON formats: values (with <c>__entity</c>/<c>__extn</c> escapes), entity references and entities.</summary>
internal static class CedarJson
{
    public static Value ParseValue(JsonElement e, string where)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.True:
                return BoolValue.True;
            case JsonValueKind.False:
                return BoolValue.False;
            case JsonValueKind.Number:
                if (!e.TryGetInt64(out var l))
                {
                    throw new CedarJsonException($"{where}: number {e.GetRawText()} is not a 64-bit integer (Cedar has no floating point)");
                }
                return LongValue.Of(l);
            case JsonValueKind.String:
                return new StringValue(e.GetString()!);
            case JsonValueKind.Null:
                throw new CedarJsonException($"{where}: JSON nulls are not allowed in Cedar");
            case JsonValueKind.Array:
                {
                    var set = new HashSet<Value>();
                    var i = 0;
                    foreach (var item in e.EnumerateArray())
                    {
                        set.Add(ParseValue(item, $"{where}[{i++}]"));
                    }
                    return new SetValue(set);
                }
            case JsonValueKind.Object:
                {
                    if (TrySingleKey(e, out var key, out var inner))
                    {
                        if (key == "__entity")
                        {
                            return new EntityValue(ParseTypeAndId(inner, where));
                        }
                        if (key == "__extn")
                        {
                            return ParseExtn(inner, where);
                        }
                        if (key == "__expr")
                        {
                            throw new CedarJsonException($"{where}: the `__expr` escape is no longer supported");
                        }
                    }
                    var dict = new Dictionary<string, Value>(StringComparer.Ordinal);
                    foreach (var p in e.EnumerateObject())
                    {
                        if (!dict.TryAdd(p.Name, ParseValue(p.Value, $"{where}.{p.Name}")))
                        {
                            throw new CedarJsonException($"{where}: duplicate key `{p.Name}`");
                        }
                    }
                    return new RecordValue(dict);
                }
            default:
                throw new CedarJsonException($"{where}: {e.ValueKind} is not a Cedar value");
        }
    }

    private static bool TrySingleKey(JsonElement obj, out string key, out JsonElement value)
    {
        key = string.Empty;
        value = default;
        var n = 0;
        foreach (var p in obj.EnumerateObject())
        {
            if (++n > 1)
            {
                return false;
            }
            key = p.Name;
            value = p.Value;
        }
        return n == 1;
    }

    private static Value ParseExtn(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("fn", out var fn) || fn.ValueKind != JsonValueKind.String)
        {
            throw new CedarJsonException($"{where}: `__extn` needs {{\"fn\": name, \"arg\": value}}");
        }
        var args = new List<Value>();
        if (e.TryGetProperty("arg", out var arg))
        {
            args.Add(ParseValue(arg, where));
        }
        else if (e.TryGetProperty("args", out var argList) && argList.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in argList.EnumerateArray())
            {
                args.Add(ParseValue(a, where));
            }
        }
        else
        {
            throw new CedarJsonException($"{where}: `__extn` needs {{\"fn\": name, \"arg\": value}} or {{\"fn\": name, \"args\": [values]}}");
        }
        var name = fn.GetString()!;
        var fnName = name;
        if (!Parser.ExtensionFunctions.Contains(fnName))
        {
            throw new CedarJsonException($"{where}: unknown extension function `{name}`");
        }
        try
        {
            return Extensions.Call(fnName, args.ToArray());
        }
        catch (EvaluationException ex)
        {
            throw new CedarJsonException($"{where}: {ex.Message}", ex);
        }
    }

    /// <summary>An entity reference: <c>{"type","id"}</c> or <c>{"__entity": {"type","id"}}</c>.</summary>
    public static EntityUid ParseUid(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.Object && TrySingleKey(e, out var key, out var inner) && key == "__entity")
        {
            return ParseTypeAndId(inner, where);
        }
        return ParseTypeAndId(e, where);
    }

    private static EntityUid ParseTypeAndId(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            throw new CedarJsonException($"{where}: expected an entity reference {{\"type\": string, \"id\": string}}");
        }
        var t = type.GetString()!;
        if (!IsValidTypeName(t))
        {
            throw new CedarJsonException($"{where}: `{t}` is not a valid entity type name");
        }
        return new EntityUid(t, id.GetString()!);
    }

    internal static bool IsValidTypeName(string t)
    {
        foreach (var part in t.Split("::"))
        {
            if (part.Length == 0 || !(part[0] == '_' || char.IsAsciiLetter(part[0])))
            {
                return false;
            }
            foreach (var c in part)
            {
                if (!(c == '_' || char.IsAsciiLetterOrDigit(c)))
                {
                    return false;
                }
            }
        }
        return true;
    }

    public static RecordValue ParseContext(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Undefined || e.ValueKind == JsonValueKind.Null)
        {
            return RecordValue.Empty;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new CedarJsonException("context: expected a JSON object");
        }
        var v = ParseValue(e, "context");
        return v as RecordValue ?? throw new CedarJsonException("context: expected a record, not an escaped value");
    }

    public static Dictionary<EntityUid, EntityData> ParseEntities(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new CedarJsonException("entities: expected a JSON array of entities");
        }
        var map = new Dictionary<EntityUid, EntityData>();
        var i = 0;
        foreach (var item in e.EnumerateArray())
        {
            var where = $"entities[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new CedarJsonException($"{where}: expected an object with uid, attrs, parents");
            }
            EntityUid? uid = null;
            var attrs = new Dictionary<string, Value>(StringComparer.Ordinal);
            var tags = new Dictionary<string, Value>(StringComparer.Ordinal);
            var parents = new List<EntityUid>();
            foreach (var p in item.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "uid":
                        uid = ParseUid(p.Value, where + ".uid");
                        break;
                    case "attrs":
                    case "tags":
                        {
                            if (p.Value.ValueKind != JsonValueKind.Object)
                            {
                                throw new CedarJsonException($"{where}.{p.Name}: expected an object");
                            }
                            var target = p.Name == "attrs" ? attrs : tags;
                            foreach (var a in p.Value.EnumerateObject())
                            {
                                if (!target.TryAdd(a.Name, ParseValue(a.Value, $"{where}.{p.Name}.{a.Name}")))
                                {
                                    throw new CedarJsonException($"{where}.{p.Name}: duplicate key `{a.Name}`");
                                }
                            }
                            break;
                        }
                    case "parents":
                        {
                            if (p.Value.ValueKind != JsonValueKind.Array)
                            {
                                throw new CedarJsonException($"{where}.parents: expected an array of entity references");
                            }
                            var j = 0;
                            foreach (var par in p.Value.EnumerateArray())
                            {
                                parents.Add(ParseUid(par, $"{where}.parents[{j++}]"));
                            }
                            break;
                        }
                    default:
                        // Cedar ignores fields it does not know.
                        break;
                }
            }
            if (uid is null)
            {
                throw new CedarJsonException($"{where}: missing field `uid`");
            }
            if (!item.TryGetProperty("attrs", out _) || !item.TryGetProperty("parents", out _))
            {
                throw new CedarJsonException($"{where}: missing field `{(item.TryGetProperty("attrs", out _) ? "parents" : "attrs")}`");
            }
            var data = new EntityData(uid, attrs, tags, parents);
            // Cedar accepts an exact repeat of an entity and rejects a conflicting one.
            if (!map.TryAdd(uid, data) && !SameEntity(map[uid], data))
            {
                throw new CedarJsonException($"{where}: duplicate entity entry {uid}");
            }
        }
        ComputeAncestors(map);
        return map;
    }

    private static bool SameEntity(EntityData a, EntityData b) =>
        new RecordValue(a.Attrs).Equals(new RecordValue(b.Attrs))
        && new RecordValue(a.Tags).Equals(new RecordValue(b.Tags))
        && a.Parents.ToHashSet().SetEquals(b.Parents);

    /// <summary>Transitive closure of the parent relation; a cycle is an error, as in Cedar.</summary>
    internal static void ComputeAncestors(Dictionary<EntityUid, EntityData> map)
    {
        var done = new Dictionary<EntityUid, HashSet<EntityUid>>();
        var onStack = new HashSet<EntityUid>();
        HashSet<EntityUid> Visit(EntityUid uid)
        {
            if (done.TryGetValue(uid, out var known))
            {
                return known;
            }
            if (!onStack.Add(uid))
            {
                throw new CedarJsonException($"entities: the hierarchy has a cycle containing {uid}");
            }
            var result = new HashSet<EntityUid>();
            if (map.TryGetValue(uid, out var data))
            {
                foreach (var p in data.Parents)
                {
                    if (p.Equals(uid))
                    {
                        throw new CedarJsonException($"entities: the hierarchy has a cycle containing {uid}");
                    }
                    result.Add(p);
                    result.UnionWith(Visit(p));
                }
            }
            onStack.Remove(uid);
            done[uid] = result;
            return result;
        }
        foreach (var (uid, data) in map)
        {
            var anc = Visit(uid);
            data.Ancestors = anc.ToFrozenSet();
        }
    }
}

/// <summary>Writes Cedar values in Cedar's JSON value format (entities and extension values escaped).</summary>
internal static class CedarJsonWriter
{
    public static void Write(System.Text.Json.Utf8JsonWriter w, Value v)
    {
        switch (v)
        {
            case BoolValue b:
                w.WriteBooleanValue(b.V);
                break;
            case LongValue l:
                w.WriteNumberValue(l.V);
                break;
            case StringValue s:
                w.WriteStringValue(s.V);
                break;
            case EntityValue e:
                w.WriteStartObject();
                w.WritePropertyName("__entity");
                WriteUid(w, e.Uid);
                w.WriteEndObject();
                break;
            case SetValue set:
                w.WriteStartArray();
                foreach (var item in set.Items)
                {
                    Write(w, item);
                }
                w.WriteEndArray();
                break;
            case RecordValue r:
                w.WriteStartObject();
                foreach (var (k, item) in r.Fields)
                {
                    w.WritePropertyName(k);
                    Write(w, item);
                }
                w.WriteEndObject();
                break;
            default:
                w.WriteStartObject();
                w.WritePropertyName("__extn");
                w.WriteStartObject();
                var (fn, arg) = ExtensionText(v);
                w.WriteString("fn", fn);
                w.WriteString("arg", arg);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }
    }

    public static void WriteUid(System.Text.Json.Utf8JsonWriter w, EntityUid uid)
    {
        w.WriteStartObject();
        w.WriteString("type", uid.Type);
        w.WriteString("id", uid.Id);
        w.WriteEndObject();
    }

    private static (string Fn, string Arg) ExtensionText(Value v)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        switch (v)
        {
            case IpValue ip:
                {
                    string addr;
                    if (ip.IsV6)
                    {
                        var bytes = new byte[16];
                        var a = ip.Addr;
                        for (var i = 15; i >= 0; i--)
                        {
                            bytes[i] = (byte)(a & 0xFF);
                            a >>= 8;
                        }
                        addr = new System.Net.IPAddress(bytes).ToString();
                    }
                    else
                    {
                        var a = (uint)ip.Addr;
                        addr = string.Create(inv, $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}");
                    }
                    return ("ip", ip.Prefix == ip.Width ? addr : string.Create(inv, $"{addr}/{ip.Prefix}"));
                }
            case DecimalValue d:
                {
                    var abs = System.Numerics.BigInteger.Abs(d.Scaled);
                    var text = string.Create(inv, $"{(d.Scaled < 0 ? "-" : string.Empty)}{abs / 10000}.{(int)(abs % 10000):D4}");
                    return ("decimal", text);
                }
            case DatetimeValue dt:
                return ("datetime", dt.Ms is >= -62135596800000 and <= 253402300799999
                    ? DateTimeOffset.FromUnixTimeMilliseconds(dt.Ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", inv)
                    : string.Create(inv, $"{dt.Ms}ms since epoch"));
            case DurationValue du:
                return ("duration", string.Create(inv, $"{du.Ms}ms"));
            default:
                return ("unknown", v.ToString() ?? string.Empty);
        }
    }
}
