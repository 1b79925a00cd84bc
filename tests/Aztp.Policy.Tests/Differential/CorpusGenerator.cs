using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aztp.Policy.Tests.Differential;

/// <summary>
/// Deterministic generator of differential cases across the Cedar language: random scopes and conditions over a
/// fixed entity universe, with well-typed and deliberately ill-typed expressions, so allow, deny and errors all occur.
/// </summary>
public sealed class CorpusGenerator(int seed)
{
    private readonly Random _rng = new(seed);

    private static readonly string[] Users = ["alice", "bob", "carol", "dave"];
    private static readonly string[] Groups = ["admins", "staff", "everyone"];
    private static readonly string[] Docs = ["doc1", "doc2", "doc3"];
    private static readonly string[] Actions = ["view", "edit", "delete", "calculate-tax"];
    private static readonly string[] Strings = ["alice", "Alice", "eng", "sales", "", "a*b", "x\\y", "hello world", "tax"];
    private static readonly long[] Longs = [0, 1, -1, 7, 42, 100, 9223372036854775807, -9223372036854775807, 4611686018427387904];
    // Cedar source text of `like` patterns: wildcards, escaped stars and backslashes.
    private static readonly string[] LikePatterns = ["\"*\"", "\"a*\"", "\"*e\"", "\"*l*\"", "\"alice\"", @"""a\*b""", @"""*\\*""", "\"\"", "\"h*o w*d\"", "\"**x\""];
    private static readonly string[] Ips = ["10.0.0.1", "192.168.1.10", "127.0.0.1", "::1", "10.0.0.0/8", "192.168.0.0/16", "224.1.2.3", "ff02::1", "2001:db8::1", "2001:db8::/32", "0.0.0.0/0", "1.2.3"];
    private static readonly string[] Decimals = ["1.5", "0.0001", "-2.25", "100.0", "1.23456", "922337203685477.5807", "abc"];
    private static readonly string[] Datetimes = ["2024-01-01", "2024-06-15T12:30:00Z", "2024-06-15T12:30:00.500Z", "2024-06-15T14:30:00+0200", "1969-12-31T23:59:59Z", "2024-02-30", "2023-13-01"];
    private static readonly string[] Durations = ["1h", "30m", "1d2h3m4s5ms", "-1d", "0ms", "90s", "1h1d", "2m"];

    public static JsonArray Entities()
    {
        var ents = new JsonArray();
        JsonObject Uid(string t, string id) => new() { ["type"] = t, ["id"] = id };
        JsonObject Ext(string fn, string arg) => new() { ["__extn"] = new JsonObject { ["fn"] = fn, ["arg"] = arg } };
        JsonObject Ref(string t, string id) => new() { ["__entity"] = Uid(t, id) };
        ents.Add(new JsonObject { ["uid"] = Uid("Group", "everyone"), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() });
        ents.Add(new JsonObject { ["uid"] = Uid("Group", "staff"), ["attrs"] = new JsonObject { ["name"] = "Staff" }, ["parents"] = new JsonArray(Uid("Group", "everyone")) });
        ents.Add(new JsonObject { ["uid"] = Uid("Group", "admins"), ["attrs"] = new JsonObject { ["name"] = "Admins" }, ["parents"] = new JsonArray(Uid("Group", "staff")) });
        ents.Add(new JsonObject
        {
            ["uid"] = Uid("User", "alice"),
            ["attrs"] = new JsonObject
            {
                ["name"] = "alice", ["age"] = 34, ["dept"] = "eng", ["level"] = 5,
                ["roles"] = new JsonArray("admin", "dev"), ["manager"] = Ref("User", "bob"),
                ["ip"] = Ext("ip", "10.0.0.1"), ["limit"] = Ext("decimal", "100.5"),
                ["profile"] = new JsonObject { ["city"] = "Paris", ["zip"] = 75001, ["verified"] = true },
            },
            ["parents"] = new JsonArray(Uid("Group", "admins")),
            ["tags"] = new JsonObject { ["clearance"] = "high", ["team"] = "core", ["n"] = 3 },
        });
        ents.Add(new JsonObject
        {
            ["uid"] = Uid("User", "bob"),
            ["attrs"] = new JsonObject
            {
                ["name"] = "bob", ["age"] = 51, ["dept"] = "sales", ["level"] = 2,
                ["roles"] = new JsonArray("dev"), ["profile"] = new JsonObject { ["city"] = "Lyon" },
            },
            ["parents"] = new JsonArray(Uid("Group", "staff")),
            ["tags"] = new JsonObject { ["clearance"] = "low" },
        });
        ents.Add(new JsonObject
        {
            ["uid"] = Uid("User", "carol"),
            ["attrs"] = new JsonObject { ["name"] = "carol", ["age"] = 19, ["roles"] = new JsonArray(), ["level"] = 9007199254740991 },
            ["parents"] = new JsonArray(Uid("Group", "everyone")),
        });
        foreach (var (doc, owner, pub) in new[] { ("doc1", "alice", true), ("doc2", "bob", false), ("doc3", "carol", false) })
        {
            ents.Add(new JsonObject
            {
                ["uid"] = Uid("Doc", doc),
                ["attrs"] = new JsonObject { ["owner"] = Ref("User", owner), ["public"] = pub, ["size"] = doc.Length * 100, ["labels"] = new JsonArray("a", doc) },
                ["parents"] = new JsonArray(Uid("Folder", "root")),
                ["tags"] = new JsonObject { ["sensitivity"] = pub ? "public" : "secret" },
            });
        }
        ents.Add(new JsonObject { ["uid"] = Uid("Folder", "root"), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() });
        ents.Add(new JsonObject { ["uid"] = Uid("Action", "readOnly"), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() });
        ents.Add(new JsonObject { ["uid"] = Uid("Action", "view"), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(Uid("Action", "readOnly")) });
        ents.Add(new JsonObject { ["uid"] = Uid("Action", "calculate-tax"), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(Uid("Action", "readOnly")) });
        ents.Add(new JsonObject
        {
            ["uid"] = Uid("Agent", "spiffe://company.org/agent/client"),
            ["attrs"] = new JsonObject { ["trustDomain"] = "company.org" },
            ["parents"] = new JsonArray(Uid("Group", "staff")),
        });
        return ents;
    }

    public static JsonObject Context(Random rng)
    {
        JsonObject Ext(string fn, string arg) => new() { ["__extn"] = new JsonObject { ["fn"] = fn, ["arg"] = arg } };
        var ctx = new JsonObject
        {
            ["authenticated"] = rng.Next(2) == 0,
            ["level"] = rng.Next(-2, 10),
            ["method"] = Actions[rng.Next(Actions.Length)],
            ["tags"] = new JsonArray("a", "b", rng.Next(3)),
            ["ip"] = Ext("ip", new[] { "10.1.2.3", "127.0.0.1", "192.168.1.1", "::1" }[rng.Next(4)]),
            ["time"] = Ext("datetime", new[] { "2024-06-15T12:30:00Z", "2023-01-01" }[rng.Next(2)]),
            ["amount"] = Ext("decimal", new[] { "12.5", "1000.0001" }[rng.Next(2)]),
            ["nested"] = new JsonObject { ["a"] = new JsonObject { ["b"] = rng.Next(3) }, ["s"] = "x" },
            ["owner"] = new JsonObject { ["__entity"] = new JsonObject { ["type"] = "User", ["id"] = Users[rng.Next(Users.Length)] } },
        };
        if (rng.Next(4) == 0)
        {
            ctx.Remove("nested");
        }
        return ctx;
    }

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];

    private bool Chance(int percent) => _rng.Next(100) < percent;

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", _ => c.ToString() });
        }
        return sb.Append('"').ToString();
    }

    private string EntityLit()
    {
        return _rng.Next(5) switch
        {
            0 => $"User::{Quote(Pick(Users))}",
            1 => $"Group::{Quote(Pick(Groups))}",
            2 => $"Doc::{Quote(Pick(Docs))}",
            3 => $"Action::{Quote(Pick(Actions))}",
            _ => "Action::\"readOnly\"",
        };
    }

    // ---- typed expression generators; "wrong" picks an expression of a random other type to provoke type errors ----

    private string Any(int d) => _rng.Next(7) switch
    {
        0 => Bool(d),
        1 => Long(d),
        2 => Str(d),
        3 => Entity(d),
        4 => Set(d),
        5 => Record(d),
        _ => Ext(d),
    };

    public string Bool(int d)
    {
        if (d <= 0 || Chance(10))
        {
            return _rng.Next(6) switch
            {
                0 => "true",
                1 => "false",
                2 => "context.authenticated",
                3 => "resource.public",
                4 => "principal.profile.verified",
                _ => Chance(50) ? "principal has age" : "context has nested",
            };
        }
        var n = d - 1;
        switch (_rng.Next(30))
        {
            case 0: return $"({Bool(n)} && {Bool(n)})";
            case 1: return $"({Bool(n)} || {Bool(n)})";
            case 2: return $"!{Bool(n)}";
            case 3: return $"(if {Bool(n)} then {Bool(n)} else {Bool(n)})";
            case 4: return $"{Long(n)} {Pick(new[] { "<", "<=", ">", ">=" })} {Long(n)}";
            case 5: return $"{Any(n)} == {Any(n)}";
            case 6: return $"{Any(n)} != {Any(n)}";
            case 7: return $"principal in {(Chance(70) ? EntityLit() : Set(n))}";
            case 8: return $"{Entity(n)} in {(Chance(60) ? Entity(n) : Set(n))}";
            case 9: return $"{Pick(new[] { "principal", "resource", "context", "context.nested", "principal.profile", "principal.manager" })} has {Pick(new[] { "age", "name", "owner", "nested", "a", "city", "zip", "\"level\"", "profile.city", "a.b", "dept" })}";
            case 10: return $"{Str(n)} like {Pick(LikePatterns)}";
            case 11: return $"{Set(n)}.contains({Any(n)})";
            case 12: return $"{Set(n)}.{Pick(new[] { "containsAll", "containsAny" })}({Set(n)})";
            case 13: return $"{Set(n)}.isEmpty()";
            case 14: return $"{Entity(n)} is {Pick(new[] { "User", "Doc", "Group", "Action", "Agent" })}";
            case 15: return $"{Entity(n)} is {Pick(new[] { "User", "Doc" })} in {(Chance(70) ? EntityLit() : Set(n))}";
            case 16: return $"{Entity(n)}.hasTag({Str(n)})";
            case 17: return $"{Entity(n)}.getTag({Str(n)}) == {Str(n)}";
            case 18: return $"{IpExpr(n)}.{Pick(new[] { "isIpv4", "isIpv6", "isLoopback", "isMulticast" })}()";
            case 19: return $"{IpExpr(n)}.isInRange({IpExpr(n)})";
            case 20: return $"{DecimalExpr(n)}.{Pick(new[] { "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual" })}({DecimalExpr(n)})";
            case 21: return $"{DatetimeExpr(n)} {Pick(new[] { "<", "<=", ">", ">=", "==" })} {DatetimeExpr(n)}";
            case 22: return $"{DurationExpr(n)} {Pick(new[] { "<", "<=", ">", ">=", "==" })} {DurationExpr(n)}";
            case 23: return $"{Wrong(n)} {Pick(new[] { "&&", "||" })} {Bool(n)}";
            case 24: return $"{Bool(n)} {Pick(new[] { "&&", "||" })} {Wrong(n)}";
            case 25: return $"{DecimalExpr(n)} < {DecimalExpr(n)}";
            case 26: return $"context.nested.a.b == {_rng.Next(3)}";
            case 27: return $"principal.{Pick(new[] { "dept", "name" })} == {Str(n)}";
            case 28: return $"{Entity(n)}.owner == principal";
            default: return $"(if {Wrong(n)} then true else false)";
        }
    }

    private string Wrong(int d) => _rng.Next(4) switch
    {
        0 => Long(d),
        1 => Str(d),
        2 => Entity(d),
        _ => Bool(d),
    };

    public string Long(int d)
    {
        if (d <= 0 || Chance(25))
        {
            return _rng.Next(7) switch
            {
                0 or 1 => Pick(Longs).ToString(System.Globalization.CultureInfo.InvariantCulture),
                2 => "principal.age",
                3 => "context.level",
                4 => "resource.size",
                5 => "principal.level",
                _ => "-9223372036854775808",
            };
        }
        var n = d - 1;
        return _rng.Next(9) switch
        {
            0 => $"({Long(n)} + {Long(n)})",
            1 => $"({Long(n)} - {Long(n)})",
            2 => $"({Long(n)} * {Long(n)})",
            3 => $"-{Long(n)}",
            4 => $"(if {Bool(n)} then {Long(n)} else {Long(n)})",
            5 => $"{DurationExpr(n)}.{Pick(new[] { "toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays" })}()",
            6 => $"principal.getTag(\"n\")",
            7 => $"({Long(n)} + {Str(n)})",
            _ => $"context.nested.a.b",
        };
    }

    public string Str(int d)
    {
        if (d <= 0 || Chance(40))
        {
            return Quote(Pick(Strings));
        }
        return _rng.Next(6) switch
        {
            0 => "principal.name",
            1 => "context.method",
            2 => "principal.dept",
            3 => $"principal.getTag({Quote(Pick(new[] { "clearance", "team", "missing" }))})",
            4 => "principal.profile.city",
            _ => $"resource.getTag(\"sensitivity\")",
        };
    }

    public string Entity(int d)
    {
        if (d <= 0 || Chance(40))
        {
            return _rng.Next(4) switch
            {
                0 => "principal",
                1 => "resource",
                2 => "action",
                _ => EntityLit(),
            };
        }
        return _rng.Next(4) switch
        {
            0 => "principal.manager",
            1 => "resource.owner",
            2 => "context.owner",
            _ => $"(if {Bool(d - 1)} then {Entity(d - 1)} else {Entity(d - 1)})",
        };
    }

    public string Set(int d)
    {
        if (d <= 0 || Chance(40))
        {
            return _rng.Next(6) switch
            {
                0 => "principal.roles",
                1 => "context.tags",
                2 => "resource.labels",
                3 => "[]",
                4 => $"[{EntityLit()}, {EntityLit()}]",
                _ => "[\"admin\", \"dev\", 1]",
            };
        }
        var n = d - 1;
        var count = _rng.Next(4);
        var items = new List<string>();
        for (var i = 0; i < count; i++)
        {
            items.Add(Chance(80) ? (Chance(50) ? Str(n) : Long(n)) : Any(n));
        }
        return "[" + string.Join(", ", items) + "]";
    }

    public string Record(int d)
    {
        if (d <= 0 || Chance(50))
        {
            return Pick(new[] { "context.nested", "principal.profile", "{a: 1, b: \"x\"}", "{}", "context" });
        }
        return $"{{a: {Long(d - 1)}, \"b c\": {Str(d - 1)}}}";
    }

    private string Ext(int d) => _rng.Next(4) switch
    {
        0 => IpExpr(d),
        1 => DecimalExpr(d),
        2 => DatetimeExpr(d),
        _ => DurationExpr(d),
    };

    private string IpExpr(int d) => _rng.Next(4) switch
    {
        0 => "context.ip",
        1 => "principal.ip",
        _ => $"ip({Quote(Pick(Ips))})",
    };

    private string DecimalExpr(int d) => _rng.Next(4) switch
    {
        0 => "context.amount",
        1 => "principal.limit",
        _ => $"decimal({Quote(Pick(Decimals))})",
    };

    private string DatetimeExpr(int d)
    {
        if (d <= 0 || Chance(50))
        {
            return Chance(30) ? "context.time" : $"datetime({Quote(Pick(Datetimes))})";
        }
        return _rng.Next(3) switch
        {
            0 => $"{DatetimeExpr(d - 1)}.offset({DurationExpr(d - 1)})",
            1 => $"{DatetimeExpr(d - 1)}.toDate()",
            _ => $"datetime({Quote(Pick(Datetimes))})",
        };
    }

    private string DurationExpr(int d)
    {
        if (d <= 0 || Chance(50))
        {
            return $"duration({Quote(Pick(Durations))})";
        }
        return _rng.Next(2) switch
        {
            0 => $"{DatetimeExpr(d - 1)}.durationSince({DatetimeExpr(d - 1)})",
            _ => $"{DatetimeExpr(d - 1)}.toTime()",
        };
    }

    private string Scope(string var)
    {
        if (var == "action")
        {
            return _rng.Next(5) switch
            {
                0 => "action",
                1 => $"action == Action::{Quote(Pick(Actions))}",
                2 => "action in Action::\"readOnly\"",
                3 => $"action in [Action::{Quote(Pick(Actions))}, Action::{Quote(Pick(Actions))}]",
                _ => "action in []",
            };
        }
        var type = var == "principal" ? "User" : "Doc";
        var ids = var == "principal" ? Users : Docs;
        return _rng.Next(7) switch
        {
            0 or 1 => var,
            2 => $"{var} == {type}::{Quote(Pick(ids))}",
            3 => var == "principal" ? $"{var} in Group::{Quote(Pick(Groups))}" : $"{var} in Folder::\"root\"",
            4 => $"{var} is {Pick(new[] { type, "Group", "Agent" })}",
            5 => var == "principal" ? $"{var} is User in Group::{Quote(Pick(Groups))}" : $"{var} is Doc in Folder::\"root\"",
            _ => $"{var} == {EntityLit()}",
        };
    }

    public string Policy()
    {
        var sb = new StringBuilder();
        if (Chance(20))
        {
            sb.Append($"@id(\"rule-{_rng.Next(1000)}\")\n");
        }
        if (Chance(10))
        {
            sb.Append("@reason(\"because\")\n");
        }
        sb.Append(Chance(70) ? "permit" : "forbid");
        sb.Append('(').Append(Scope("principal")).Append(", ").Append(Scope("action")).Append(", ").Append(Scope("resource")).Append(')');
        var conds = _rng.Next(3);
        for (var i = 0; i < conds; i++)
        {
            sb.Append(Chance(70) ? " when { " : " unless { ").Append(Bool(_rng.Next(1, 4))).Append(" }");
        }
        return sb.Append(";\n").ToString();
    }

    public string Case(string id)
    {
        var policies = new StringBuilder();
        var count = _rng.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            policies.Append(Policy());
        }
        return MakeCase(id, policies.ToString(), Entities(), Request());
    }

    /// <summary>
    /// A case over a random entity DAG (users, groups, action groups, folders) with scope-heavy policies: exercises
    /// transitive <c>in</c>, <c>is</c>, action sets and the scope index, including entities missing from the store.
    /// </summary>
    public string HierarchyCase(string id)
    {
        string[] types = ["User", "Group", "Action", "Folder"];
        var names = new List<(string Type, string Id)>();
        foreach (var t in types)
        {
            for (var i = 0; i < 4; i++)
            {
                names.Add((t, $"{t.ToLowerInvariant()}{i}"));
            }
        }
        JsonObject Uid((string Type, string Id) n) => new() { ["type"] = n.Type, ["id"] = n.Id };
        var entities = new JsonArray();
        for (var i = 0; i < names.Count; i++)
        {
            if (Chance(15))
            {
                continue; // not in the store
            }
            var parents = new JsonArray();
            // Parents only point "forward" in the list, so the graph is acyclic.
            for (var j = i + 1; j < names.Count; j++)
            {
                var sameKind = (names[i].Type == "Action") == (names[j].Type == "Action");
                if (sameKind && Chance(18))
                {
                    parents.Add(Uid(names[j]));
                }
            }
            entities.Add(new JsonObject { ["uid"] = Uid(names[i]), ["attrs"] = new JsonObject { ["n"] = i }, ["parents"] = parents });
        }
        string Ref(string type) => $"{type}::\"{type.ToLowerInvariant()}{_rng.Next(5)}\"";
        string NonAction() => Ref(Pick(new[] { "User", "Group", "Folder" }));
        string PrincipalOrResource(string v) => _rng.Next(6) switch
        {
            0 => v,
            1 => $"{v} == {NonAction()}",
            2 => $"{v} in {NonAction()}",
            3 => $"{v} is {Pick(new[] { "User", "Group", "Folder" })}",
            4 => $"{v} is {Pick(new[] { "User", "Group", "Folder" })} in {NonAction()}",
            _ => $"{v} in {Ref("Group")}",
        };
        string ActionScope() => _rng.Next(5) switch
        {
            0 => "action",
            1 => $"action == {Ref("Action")}",
            2 => $"action in {Ref("Action")}",
            3 => $"action in [{Ref("Action")}, {Ref("Action")}]",
            _ => $"action in [{Ref("Action")}]",
        };
        var policies = new StringBuilder();
        var count = _rng.Next(1, 12);
        for (var i = 0; i < count; i++)
        {
            policies.Append(Chance(75) ? "permit" : "forbid").Append('(').Append(PrincipalOrResource("principal")).Append(", ")
                .Append(ActionScope()).Append(", ").Append(PrincipalOrResource("resource")).Append(')');
            if (Chance(30))
            {
                policies.Append(" when { ").Append(Pick(new[]
                {
                    "principal has n", "principal.n > 3", $"principal in {NonAction()}", $"resource in [{NonAction()}, {NonAction()}]",
                    $"action in {Ref("Action")}", "principal.n < resource.n", $"{NonAction()} in principal",
                })).Append(" }");
            }
            policies.Append(";\n");
        }
        var request = new JsonObject
        {
            ["principal"] = NonAction(),
            ["action"] = Ref("Action"),
            ["resource"] = NonAction(),
            ["context"] = new JsonObject(),
        };
        return MakeCase(id, policies.ToString(), entities, request);
    }

    public JsonObject Request()
    {
        string principal = _rng.Next(10) switch
        {
            < 7 => $"User::{Quote(Pick(Users))}",
            7 => "Group::\"admins\"",
            8 => "Agent::\"spiffe://company.org/agent/client\"",
            _ => "User::\"ghost\"",
        };
        return new JsonObject
        {
            ["principal"] = principal,
            ["action"] = Chance(50) ? $"Action::{Quote(Pick(Actions))}" : new JsonObject { ["type"] = "Action", ["id"] = Pick(Actions) },
            ["resource"] = Chance(90) ? $"Doc::{Quote(Pick(Docs))}" : "Doc::\"missing\"",
            ["context"] = Context(_rng),
        };
    }

    public static string MakeCase(string id, string policies, JsonNode? entities, JsonNode request) =>
        new JsonObject
        {
            ["id"] = id,
            ["policies"] = policies,
            ["entities"] = entities?.DeepClone(),
            ["request"] = request.DeepClone(),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
