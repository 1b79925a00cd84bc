using System.Text.Json.Nodes;

namespace Aztp.Policy.Tests.Differential;

/// <summary>Hand-written differential cases: edge cases of the language the generator does not aim at.</summary>
public static class HandCases
{
    // Each condition is placed in `permit(principal, action, resource) when { … };` unless it starts with "%",
    // in which case the rest is the whole policy text.
    private static readonly string[] Conditions =
    [
        "true", "false", "1 < 2 < 3", "{a:1,a:2} has a", "decimal(\"1.0\") < decimal(\"2.0\")",
        "datetime(\"2020-01-01\") < datetime(\"2021-01-01\")", "duration(\"1h\") < duration(\"2h\")",
        "ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")", "ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")",
        "%permit(principal, action == User::\"x\", resource);", "!!!!!true", "!!!!true", "- -1 == 1", "-----1 == -1",
        "----1 == 1", "--9223372036854775808 == 1", "-(9223372036854775807) < 0", "-9223372036854775808 < 0",
        "9223372036854775808 > 0", "ip(\"1.1.1.1\").foo()", "ip(\"1.1.1.1\", \"x\")", "foo(\"x\")", "\"a\".ip()",
        "ip(\"01.1.1.1\").isIpv4()", "decimal(\"1.23456\") == decimal(\"1.2\")", "{\"a b\": 1}[\"a b\"] == 1",
        "principal.isEmpty()", "[1] == [1,1]", "principal has a.b", "context has a.b", "principal has profile.city",
        "principal has profile.country", "datetime(\"2020-01-01T00:00:00+2400\") == datetime(\"2020-01-01\")",
        "%@id permit(principal,action,resource);", "%@id(\"a\") @id(\"b\") permit(principal,action,resource);",
        "1 * 2 * 3 == 6", "if true then 1 else 2 == 1", "-(-9223372036854775807 - 1) > 0",
        "principal is User in Group::\"staff\"", "principal.foo", "[1, \"a\"].contains(1)", "[principal, 1] has x",
        "principal in [principal, 1]", "principal in [1, principal]", "principal.hasTag(\"clearance\")",
        "principal.getTag(\"clearance\") == \"high\"", "principal.getTag(\"nope\") == \"high\"",
        "User::\"ghost\".hasTag(\"x\")", "User::\"ghost\".getTag(\"x\") == 1", "User::\"ghost\" has name",
        "User::\"ghost\".name == \"x\"", "\"abc\" like \"a*\"", "\"a*c\" like \"a\\*c\"", "\"abc\" like \"a\\*c\"",
        "\"a\\\\c\" like \"a\\\\c\"", "\"\" like \"*\"", "\"aaa\" like \"a**a\"", "\"abcabc\" like \"*bc*bc\"",
        "%permit(principal,action,resource) when { true } unless { false } when { 1 };",
        "%permit(principal,action,resource) when { false } when { 1 };", "true || 1", "false || 1", "false && 1",
        "true && 1", "[1,2].containsAll(3)", "context.x", "ip(\"::1\").isLoopback()", "ip(\"127.0.0.1/4\").isLoopback()",
        "ip(\"127.0.0.1/8\").isLoopback()", "ip(\"::ffff:1.2.3.4\").isIpv6()", "ip(\"1.2.3.4/033\").isIpv4()",
        "ip(\"1.2.3.4/33\").isIpv4()", "ip(\"::1/0129\").isIpv6()", "ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))",
        "ip(\"10.1.2.3\").isInRange(ip(\"::/0\"))", "ip(\"0.0.0.0/0\").isInRange(ip(\"10.0.0.0/8\"))",
        "ip(\"224.0.0.1\").isMulticast()", "ip(\"ff02::1\").isMulticast()", "ip(\"2001:db8::1\").isIpv6()",
        "datetime(\"2020-01-01T00:00:00.1Z\") == datetime(\"2020-01-01\")", "duration(\"1d1d\") == duration(\"1d\")",
        "duration(\"-1d\") < duration(\"0ms\")", "duration(\"1ms2s\") == duration(\"1d\")",
        "datetime(\"-2020-01-01\") < datetime(\"2020-01-01\")", "datetime(\"2020-02-30\") < datetime(\"2020-01-01\")",
        "datetime(\"2020-02-29\") < datetime(\"2020-03-01\")", "datetime(\"2021-02-29\") < datetime(\"2020-01-01\")",
        "datetime(\"2020-01-01T23:59:60Z\") < datetime(\"2020-01-01\")",
        "datetime(\"2024-06-15T14:30:00+0200\") == datetime(\"2024-06-15T12:30:00Z\")",
        "datetime(\"2024-06-15T12:30:00.250Z\").toTime() == duration(\"12h30m250ms\")",
        "datetime(\"1969-12-31T12:00:00Z\").toDate() == datetime(\"1969-12-31\")",
        "datetime(\"1969-12-31T12:00:00Z\").toTime() == duration(\"12h\")",
        "datetime(\"2024-01-01\").offset(duration(\"1d\")) == datetime(\"2024-01-02\")",
        "datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == duration(\"24h\")",
        "duration(\"-90s\").toMinutes() == -1", "duration(\"1d2h\").toHours() == 26", "duration(\"1500ms\").toSeconds() == 1",
        "duration(\"1d\").toDays() == 1", "duration(\"2m\").toMilliseconds() == 120000",
        "duration(\"9223372036854775807ms\") > duration(\"1ms\")", "duration(\"9223372036854775808ms\") > duration(\"1ms\")",
        "duration(\"106751991167d\") > duration(\"1ms\")", "datetime(\"9999-12-31T23:59:59.999Z\").offset(duration(\"106751990000d\")) > datetime(\"2020-01-01\")",
        "%permit(principal,action,resource) when { principal };", "Action::\"x\" in [Action::\"x\"]", "principal.a.b",
        "{a:1}.b", "decimal(\"1.0\").lessThan(1)", "decimal(\"-1.0\") == decimal(\"-1\")", "decimal(\"1.\") == decimal(\"1.0\")",
        "decimal(\"92233720368547.5808\") == decimal(\"1.0\")", "decimal(\"922337203685477.5808\") == decimal(\"1.0\")",
        "decimal(\"-922337203685477.5808\").lessThan(decimal(\"1.0\"))", "decimal(\"1.0\") == decimal(\"1.0000\")",
        "decimal(\"1.5\").greaterThanOrEqual(decimal(\"1.50\"))", "decimal(\"1.5\") == 1",
        "%permit(principal is User in [Group::\"g\"],action,resource);", "%permit(principal,action in Action::\"a\",resource is Doc);",
        "%permit(principal,action in [],resource);", "%permit(principal,action in [Action::\"view\", Action::\"v\"],resource);",
        "%permit(principal,action,resource) when { true } ; permit(principal,action,resource)",
        "%permit(principal,action,resource) when { true } if { x };", "%permit(principal,action,resource) when {};",
        "\"\\u{41}\" == \"A\"", "\"\\q\" == \"A\"", "\"\\x41\" == \"A\"", "\"\\x80\" == \"A\"", "%@a(\"\\q\") permit(principal,action,resource);",
        "%// comment\npermit(principal, action, resource) // trailing\n;", "%", "%   ", "%forbid(principal, action, resource);\npermit(principal, action, resource);",
        "%permit(principal == User::\"alice\", action == Action::\"view\", resource == Doc::\"doc1\");",
        "%permit(principal in Group::\"everyone\", action in Action::\"readOnly\", resource in Folder::\"root\");",
        "%permit(principal is User, action, resource is Doc);", "%permit(principal is Group, action, resource);",
        "%permit(principal, action, resource) when { resource.owner == principal };",
        "%forbid(principal, action, resource) unless { context.authenticated };permit(principal, action, resource);",
        "%permit(principal, action, resource) when { principal.age + 1 > 30 } when { principal.roles.contains(\"admin\") };",
        "principal.age > 30 && principal.dept == \"eng\"", "principal.roles.containsAny([\"admin\", \"root\"])",
        "principal.roles.containsAll([])", "[].isEmpty()", "[[1]].contains([1])", "{a: [1, 2]} == {a: [2, 1]}",
        "{a: 1} == {a: 1, b: 2}", "User::\"a\" == User::\"a\"", "User::\"a\" == Group::\"a\"", "1 == \"1\"",
        "9223372036854775807 + 1 > 0", "-9223372036854775807 - 2 < 0", "4611686018427387904 * 2 > 0", "4611686018427387904 * -2 < 0",
        "principal.level + 0 > 0", "context.nested.a.b >= 0", "context.tags.contains(\"a\")", "context.ip.isInRange(ip(\"10.0.0.0/8\"))",
        "context.time < datetime(\"2025-01-01\")", "context.amount.greaterThan(decimal(\"100.0\"))", "context.owner == principal",
        "principal is User", "action is Action", "resource is Doc in Folder::\"root\"", "1 is User", "principal is Action in 1",
        "principal is Doc in 1", "principal in 1", "1 in principal", "principal in [Group::\"admins\", Group::\"staff\"]",
        "Group::\"admins\" in Group::\"everyone\"", "Group::\"everyone\" in Group::\"admins\"", "Doc::\"doc1\" in Folder::\"root\"",
        "action in Action::\"readOnly\"", "action in [Action::\"readOnly\"]",
        "if principal has age then principal.age > 18 else false", "if 1 then true else false", "if false then 1 else true",
        "principal[\"name\"] == \"alice\"", "principal.profile[\"zip\"] == 75001", "context[\"nested\"][\"s\"] == \"x\"",
        "(principal.age) > 10", "!(1 > 2)", "!1", "-\"a\" == 1", "principal.roles == [\"dev\", \"admin\"]",
        "principal.manager.name == \"bob\"", "principal.manager.manager == principal", "resource.owner.age > 20",
        "%@id(\"r1\") @reason(\"owners may\") permit(principal, action, resource) when { resource.owner == principal };",
        "%permit(principal, action, resource) when { ?principal == principal };",
        "%permit(principal == ?principal, action, resource);", "%permit(principal, action, resource) when { 1 / 2 == 0 };",
        "%permit(principal, action, resource) when { 1 % 2 == 0 };", "%permit(principal, action, resource,);",
        "%permit(principal, resource, action);", "%permit(action, principal, resource);", "%permit();", "%deny(principal, action, resource);",
        "%permit(principal, action, resource) when { principal.if == 1 };",
        "%permit(principal == if::\"x\", action, resource);", "%permit(principal, action == Foo::Action::\"x\", resource);",
        "%permit(principal, action == Action::\"view\", resource) when { context.method like \"calc*\" };",
        "[1, 2, 3].contains(2) && [\"a\"].containsAll([\"a\", \"a\"])", "[ip(\"1.1.1.1\")].contains(ip(\"1.1.1.1/32\"))",
        "[decimal(\"1.0\")].contains(decimal(\"1.00\"))", "{a: decimal(\"1.0\")} == {a: decimal(\"1.000\")}",
        "\"\\\"\" == \"\\\"\"", "\"\\'\" == \"'\"", "\"\\0\" == \"\\u{0}\"", "\"tab\\t\" like \"tab\\t\"", "\"\\u{1F600}\" like \"*\"",
        "\"\\u{D800}\" == \"x\"", "\"\\u{110000}\" == \"x\"", "\"é\" like \"?\"", "\"x\" like \"\\x\"", "principal.has == 1", "{then: 1} has x", "context has like", "principal.__cedar == 1",
        "\"\\u{1F600}x\" like \"?*x\"", "\"héllo\" like \"h*o\"", "User::\"\\u{41}\" == User::\"A\"",
        "{a: {b: [1, {c: 2}]}} == {a: {b: [{c: 2}, 1]}}", "[{a: 1}].contains({a: 1})", "[[1,2]].containsAny([[2,1]])",
        "\"a\" < \"b\"", "true < false", "principal < principal", "[1] < [2]", "Acme::User::\"x\" is Acme::User",
        "principal is Acme::User", "1 + 2 * 3 == 7", "(1 + 2) * 3 == 9", "-2 * -3 == 6", "!true || true", "!(true || true)",
        "if true then false else true || true", "1 == 1 && 2 == 2 || false", "context has \"a b\"", "{\"\": 1} has \"\"",
        "ip(\"1.2.3.4\").isInRange(ip(\"1.2.3.4\"))", "ip(\"::\").isIpv6()", "ip(\"1:2:3:4:5:6:7:8\").isIpv6()",
        "ip(\"1::2::3\").isIpv6()", "ip(\" 1.2.3.4\").isIpv4()", "ip(\"1.2.3.4/08\").isIpv4()", "ip(\"::1/000\").isIpv6()",
        "ip(\"1.2.3.4/0\").isIpv4()", "ip(\"::1/128\").isLoopback()", "ip(\"::1/127\").isLoopback()", "ip(\"0001::1\").isIpv6()",
        "ip(\"::1%eth0\").isIpv6()", "ip(\"1.2.3.4/\").isIpv4()", "ip(\"256.1.1.1\").isIpv4()",
        "decimal(\"00.1\") == decimal(\"0.1\")", "decimal(\"-0.0\") == decimal(\"0.0\")", "decimal(\"+1.0\") == decimal(\"1.0\")",
        "datetime(\"2024-01-01T00:00:00.000+0000\") == datetime(\"2024-01-01\")", "datetime(\"2024-01-01T00:00:00-0130\") > datetime(\"2024-01-01\")",
        "datetime(\"0000-01-01\") < datetime(\"2024-01-01\")", "datetime(\"0000-02-29\") < datetime(\"2024-01-01\")", "duration(\"0d\") == duration(\"0ms\")",
        "duration(\"1D\") == duration(\"1d\")", "duration(\"\") == duration(\"0ms\")", "duration(\"-\") == duration(\"0ms\")",
        "duration(\"1h-1m\") == duration(\"0ms\")", "datetime(\"2024-01-01T00:00:00z\") == datetime(\"2024-01-01\")",
        "datetime(\"2024-1-01\") == datetime(\"2024-01-01\")", "datetime(\"1970-01-01\").toTime() == duration(\"0ms\")",
        "datetime(\"2024-01-01T00:00:00+0059\") < datetime(\"2024-01-01\")", "datetime(\"2024-01-01T00:00:00+0060\") < datetime(\"2024-01-01\")",
        "datetime(\"2024-01-01T24:00:00Z\") > datetime(\"2024-01-01\")", "datetime(\"2024-01-01T00:00:00.1234Z\") > datetime(\"2024-01-01\")",
        "datetime(\"2024-01-01T00:00Z\") > datetime(\"2024-01-01\")", "duration(\"1m1ms\").toMilliseconds() == 60001",
        "duration(\"-1d\").toDays() == -1", "datetime(\"2024-01-01\").offset(duration(\"-1ms\")).toDate() == datetime(\"2023-12-31\")",
        "datetime(\"2024-01-01\").durationSince(1)", "duration(\"1h\").toHours(1) == 1", "ip(\"1.1.1.1\").isInRange(\"1.1.1.1\")",
        "decimal(1)", "ip(\"1.1.1.1\").lessThan(ip(\"1.1.1.1\"))", "context.amount.lessThan(1)", "context.time.toDate() == datetime(\"2023-01-01\")",
        "principal is User && true", "principal is User in Group::\"staff\" && true", "principal has profile.city == true",
        "(principal has profile.city) == true", "principal has profile.city && principal.profile.city == \"Paris\"",
        "principal is User in [Group::\"staff\", Group::\"nope\"]", "principal is User in principal", "principal is User == true",
        "(if true then principal else resource) is User", "principal in Group::\"staff\" == true", "principal.roles.contains(\"admin\") == true",
        "!principal.roles.isEmpty()", "- principal.age < 0", "principal.age - -1 == 35", "1 - - 1 == 2", "1--1 == 2",
        "context.nested.a has b", "context.nested.a.b.c == 1", "[1, 2][0] == 1", "principal[\"profile\"][\"city\"] == \"Paris\"",
        "principal.manager has name", "principal.manager.roles.contains(\"dev\")", "resource.owner in Group::\"admins\"",
        "\"abc\" like \"abc*\"", "\"abc\" like \"*abc\"", "\"\" like \"\"", "\"a\" like \"\"", "\"*\" like \"\\*\"", "\"\\\\\" like \"\\\\\"",
        "%@id(\"x\")\n// comment between\n@reason(\"y\") // trailing\npermit(\n  principal, // p\n  action,\n  resource\n);",
        "%permit(principal, action, resource) when { true } // c\n unless { false };", "%permit (principal,action,resource)when{true};",
        "%PERMIT(principal, action, resource);", "%permit(principal, action, resource) when { TRUE };", "%permit(principal, action, resource) WHEN { true };",
        "%permit(principal is User in Group::\"admins\", action in [Action::\"view\"], resource is Doc in Folder::\"root\");",
        "%forbid(principal == User::\"alice\", action == Action::\"view\", resource == Doc::\"doc1\") when { true };\npermit(principal, action, resource);",
        "%permit(principal, action == Action::\"view\", resource) when { context.authenticated };\npermit(principal, action == Action::\"view\", resource) when { context.level > 1 };",
        "%@a @b(\"\") @c(\"x\\ny\") permit(principal, action, resource);", "%@ permit(principal, action, resource);", "%@id(1) permit(principal, action, resource);",
        "%permit(principal, action, resource) when { if true then true };", "%permit(principal, action, resource) when { (true };",
        "%permit(principal, action, resource) when { [1, 2,] == [1, 2] };", "%permit(principal, action, resource) when { {a: 1,} == {a: 1} };",
        "%permit(principal, action, resource) when { principal. };", "%permit(principal, action, resource) when { principal.roles.contains() };",
        "%permit(principal, action, resource) when { [].isEmpty(1) };", "%permit(principal, action, resource) when { User::\"a\"::\"b\" };",
        "%permit(principal, action, resource) when { User:: };", "[1].contains(1,)", "ip(\"1.1.1.1\",).isIpv4()",
        "%permit(principal, action in [Action::\"view\",], resource);", "[,] == []", "{,} == {}", "%@id(\"a\",) permit(principal, action, resource);", "%permit(principal, action, resource) when { principal == User };",
        "principal.permit == 1", "{principal: 1} has principal", "principal.ip.isIpv4()", "principal.limit.lessThan(decimal(\"200.0\"))",
    ];

    public static IEnumerable<string> All()
    {
        var i = 0;
        var ents = CorpusGenerator.Entities();
        foreach (var c in Conditions)
        {
            var policies = c.StartsWith('%') ? c[1..] : $"permit(principal, action, resource) when {{ {c} }};";
            var req = StandardRequest();
            yield return CorpusGenerator.MakeCase($"hand-{i++}", policies, ents.DeepClone(), req);
        }

        var permitAll = "permit(principal, action, resource);";
        var g = new JsonObject { ["type"] = "Group", ["id"] = "g" };
        var u = new JsonObject { ["type"] = "User", ["id"] = "alice" };
        // A cycle in the hierarchy is a failure of the input.
        yield return CorpusGenerator.MakeCase("cycle", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(g.DeepClone()) },
            new JsonObject { ["uid"] = g.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(u.DeepClone()) }), StandardRequest());
        yield return CorpusGenerator.MakeCase("self-parent", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(u.DeepClone()) }), StandardRequest());
        yield return CorpusGenerator.MakeCase("duplicate-entity", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() },
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() }), StandardRequest());
        yield return CorpusGenerator.MakeCase("conflicting-duplicate-entity", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject { ["x"] = 1 }, ["parents"] = new JsonArray() },
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject { ["x"] = 2 }, ["parents"] = new JsonArray() }), StandardRequest());
        yield return CorpusGenerator.MakeCase("escaped-uid", "permit(principal in Group::\"g\", action, resource);", new JsonArray(
            new JsonObject { ["uid"] = new JsonObject { ["__entity"] = u.DeepClone() }, ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(new JsonObject { ["__entity"] = g.DeepClone() }) }), StandardRequest());
        yield return CorpusGenerator.MakeCase("float-attr", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject { ["x"] = 1.5 }, ["parents"] = new JsonArray() }), StandardRequest());
        yield return CorpusGenerator.MakeCase("bad-extn", permitAll, new JsonArray(
            new JsonObject { ["uid"] = u.DeepClone(), ["attrs"] = new JsonObject { ["x"] = new JsonObject { ["__extn"] = new JsonObject { ["fn"] = "nope", ["arg"] = "1" } } }, ["parents"] = new JsonArray() }), StandardRequest());
        var uidOnly = new JsonObject { ["type"] = "User", ["id"] = "alice" };
        var variants = new (string Name, JsonObject Entity)[]
        {
            ("no-attrs", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["parents"] = new JsonArray() }),
            ("no-parents", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject() }),
            ("extra-field", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject { ["x"] = 1 }, ["parents"] = new JsonArray(), ["foo"] = 1 }),
            ("null-attr", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject { ["x"] = null }, ["parents"] = new JsonArray() }),
            ("extn-args", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject { ["x"] = new JsonObject { ["__extn"] = new JsonObject { ["fn"] = "decimal", ["args"] = new JsonArray("1.5") } } }, ["parents"] = new JsonArray() }),
            ("expr-escape", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject { ["x"] = new JsonObject { ["__expr"] = "1" } }, ["parents"] = new JsonArray() }),
            ("bad-type-name", new JsonObject { ["uid"] = new JsonObject { ["type"] = "Us er", ["id"] = "a" }, ["attrs"] = new JsonObject(), ["parents"] = new JsonArray() }),
            ("parent-missing-id", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(new JsonObject { ["type"] = "G" }) }),
            ("tags-not-object", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject(), ["parents"] = new JsonArray(), ["tags"] = new JsonArray() }),
            ("entity-ref-attr", new JsonObject { ["uid"] = uidOnly.DeepClone(), ["attrs"] = new JsonObject { ["x"] = new JsonObject { ["__entity"] = new JsonObject { ["type"] = "User", ["id"] = "alice" }, ["z"] = 1 } }, ["parents"] = new JsonArray() }),
        };
        foreach (var (name, entity) in variants)
        {
            yield return CorpusGenerator.MakeCase("entities-" + name, "permit(principal, action, resource) when { principal has x && principal.x == principal.x };", new JsonArray(entity), StandardRequest());
        }
        var nullCtx = StandardRequest();
        nullCtx["context"] = new JsonObject { ["y"] = null };
        yield return CorpusGenerator.MakeCase("context-null", permitAll, new JsonArray(), nullCtx);
        var badCtx = StandardRequest();
        badCtx["context"] = new JsonArray(1);
        yield return CorpusGenerator.MakeCase("context-not-record", permitAll, new JsonArray(), badCtx);
        var floatCtx = StandardRequest();
        floatCtx["context"] = new JsonObject { ["x"] = 2.5 };
        yield return CorpusGenerator.MakeCase("context-float", permitAll, new JsonArray(), floatCtx);
        var recordUid = StandardRequest();
        recordUid["context"] = new JsonObject { ["who"] = new JsonObject { ["type"] = "User", ["id"] = "alice" } };
        yield return CorpusGenerator.MakeCase("context-type-id-is-record", "permit(principal, action, resource) when { context.who == principal };", new JsonArray(), recordUid);
        yield return CorpusGenerator.MakeCase("context-type-id-has", "permit(principal, action, resource) when { context.who has type };", new JsonArray(), recordUid);
        var extnCtx = StandardRequest();
        extnCtx["context"] = new JsonObject { ["d"] = new JsonObject { ["__extn"] = new JsonObject { ["fn"] = "decimal", ["arg"] = "1.25" } } };
        yield return CorpusGenerator.MakeCase("context-extn", "permit(principal, action, resource) when { context.d == decimal(\"1.2500\") };", new JsonArray(), extnCtx);
        var ns = StandardRequest();
        ns["principal"] = "Acme::User::\"x\"";
        ns["action"] = "Acme::Action::\"go\"";
        yield return CorpusGenerator.MakeCase("namespaced", "permit(principal is Acme::User, action == Acme::Action::\"go\", resource);", new JsonArray(), ns);
        yield return CorpusGenerator.MakeCase("no-policies", string.Empty, new JsonArray(), StandardRequest());
        yield return CorpusGenerator.MakeCase("many", string.Concat(Enumerable.Range(0, 50).Select(k =>
            $"{(k % 7 == 3 ? "forbid" : "permit")}(principal == User::\"u{k}\", action, resource) when {{ context.level > {k % 5} }};\n")), CorpusGenerator.Entities(),
            new JsonObject { ["principal"] = "User::\"u3\"", ["action"] = "Action::\"view\"", ["resource"] = "Doc::\"doc1\"", ["context"] = new JsonObject { ["level"] = 4 } });
    }

    private static JsonObject StandardRequest() => new()
    {
        ["principal"] = "User::\"alice\"",
        ["action"] = "Action::\"view\"",
        ["resource"] = "Doc::\"doc1\"",
        ["context"] = CorpusGenerator.Context(new Random(7)),
    };
}
