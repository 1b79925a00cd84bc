using Aztp.Policy.Internal;

namespace Aztp.Policy.Tests;

public sealed class AuthorizerTests
{
    private static readonly EntityUid Client = new("Agent", "spiffe://company.org/agent/client");
    private static readonly EntityUid Finance = new("Agent", "spiffe://company.org/agent/finance");
    private static readonly EntityUid Tax = new("Action", "calculate-tax");

    private static readonly EntityStore Entities = EntityStore.FromJson("""
        [
          {"uid": {"type": "Agent", "id": "spiffe://company.org/agent/client"}, "attrs": {"tier": 2}, "parents": [{"type": "Group", "id": "clients"}]},
          {"uid": {"type": "Group", "id": "clients"}, "attrs": {}, "parents": [{"type": "Group", "id": "everyone"}]}
        ]
        """);

    private static AuthorizationResponse Authorize(string policies, string context = "{}") =>
        CedarAuthorizer.Authorize(PolicySet.Parse(policies), Entities, new AuthorizationRequest(Client, Tax, Finance, CedarContext.FromJson(context)));

    [Fact]
    public void NoPolicies_DeniesByDefault_WithNoReasons()
    {
        var r = Authorize(string.Empty);
        Assert.Equal(Decision.Deny, r.Decision);
        Assert.Empty(r.Reasons);
        Assert.Empty(r.Errors);
    }

    [Fact]
    public void Permit_InGroupTransitively_Allows()
    {
        var r = Authorize("permit(principal in Group::\"everyone\", action == Action::\"calculate-tax\", resource);");
        Assert.True(r.IsAllowed);
        Assert.Equal(["policy0"], r.Reasons);
    }

    [Fact]
    public void Forbid_OverridesPermit_AndOnlyForbidsDetermine()
    {
        var r = Authorize("permit(principal, action, resource);\nforbid(principal, action, resource) when { principal.tier < 3 };\npermit(principal in Group::\"clients\", action, resource);");
        Assert.Equal(Decision.Deny, r.Decision);
        Assert.Equal(["policy1"], r.Reasons);
    }

    [Fact]
    public void ErroringPolicy_IsSkippedAndReported()
    {
        var r = Authorize("forbid(principal, action, resource) when { principal.missing == 1 };\npermit(principal, action, resource);");
        Assert.True(r.IsAllowed);
        Assert.Equal(["policy1"], r.Reasons);
        var e = Assert.Single(r.Errors);
        Assert.Equal("policy0", e.PolicyId);
        Assert.Contains("does not have the attribute `missing`", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overflow_IsAnError_NotAWrapAround()
    {
        var r = Authorize("permit(principal, action, resource) when { 9223372036854775807 + 1 < 0 };");
        Assert.Equal(Decision.Deny, r.Decision);
        Assert.Contains("overflow", Assert.Single(r.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecimalLessThanOperator_IsRejectedLikeTheReference()
    {
        var r = Authorize("permit(principal, action, resource) when { decimal(\"1.0\") < decimal(\"2.0\") };");
        Assert.Equal(Decision.Deny, r.Decision);
        Assert.Single(r.Errors);
    }

    [Fact]
    public void Explain_UsesReasonAnnotation_ThenIdAnnotation()
    {
        Assert.Equal("clients may", Authorize("@id(\"c\") @reason(\"clients may\") permit(principal, action, resource);").Explain());
        Assert.Equal("permitted by allow-all", Authorize("@id(\"allow-all\") permit(principal, action, resource);").Explain());
        Assert.Equal("no policy permits the request (default deny)", Authorize("permit(principal == Agent::\"x\", action, resource);").Explain());
    }

    [Fact]
    public void Context_FromValues_MapsDotNetTypes()
    {
        var ctx = CedarContext.FromValues(new Dictionary<string, object?>
        {
            ["trustDomain"] = "company.org",
            ["ip"] = System.Net.IPAddress.Parse("10.1.2.3"),
            ["time"] = new DateTimeOffset(2024, 6, 15, 12, 0, 0, TimeSpan.Zero),
            ["amount"] = 42,
            ["tags"] = new[] { "a", "b" },
        });
        var set = PolicySet.Parse("""
            permit(principal, action, resource) when {
              context.trustDomain == "company.org" && context.ip.isInRange(ip("10.0.0.0/8")) &&
              context.time > datetime("2024-01-01") && context.amount == 42 && context.tags.contains("b")
            };
            """);
        Assert.True(CedarAuthorizer.Authorize(set, Entities, new AuthorizationRequest(Client, Tax, Finance, ctx)).IsAllowed);
        Assert.Throws<ArgumentException>(() => CedarContext.FromValues(new Dictionary<string, object?> { ["x"] = 1.5 }));
    }

    public static TheoryData<string, object> BuilderValues => new()
    {
        { "s", "company.org" },
        { "empty", "" },
        { "n", 42 },
        { "big", 1234567890123L },
        { "b", true },
        { "ip4", System.Net.IPAddress.Parse("10.1.2.3") },
        { "ip6", System.Net.IPAddress.Parse("2001:db8::1") },
        { "t", new DateTimeOffset(2024, 6, 15, 12, 0, 0, 123, TimeSpan.FromHours(2)) },
        { "d", TimeSpan.FromMinutes(90) },
        { "e", new EntityUid("Agent", "spiffe://company.org/agent/client") },
        { "set", new[] { "a", "b" } },
        { "rec", new Dictionary<string, object?> { ["x"] = 1, ["y"] = "z" } },
    };

    [Theory]
    [MemberData(nameof(BuilderValues))]
    public void ContextBuilder_GivesTheSameValueAsFromValues_ForEveryMapping(string name, object value)
    {
        var expected = CedarContext.FromValues([new(name, value)]).Record;
        var typed = value switch
        {
            string s => new CedarContextBuilder(1).Add(name, s),
            DateTimeOffset t => new CedarContextBuilder(1).Add(name, t),
            int n => new CedarContextBuilder(1).Add(name, n),
            long n => new CedarContextBuilder(1).Add(name, n),
            bool b => new CedarContextBuilder(1).Add(name, b),
            _ => new CedarContextBuilder(1).Add(name, value),
        };
        Assert.Equal(expected, typed.Build().Record);
        Assert.Equal(expected, new CedarContextBuilder(0).Add(name, CedarValue.From(value)).Build().Record);
    }

    [Fact]
    public void ContextBuilder_RejectsDuplicatesUnrepresentableValuesAndReuse()
    {
        var builder = new CedarContextBuilder(2).Add("a", "x");
        Assert.Throws<ArgumentException>(() => builder.Add("a", CedarValue.String("y")));
        Assert.Throws<ArgumentException>(() => builder.Add("f", 1.5));
        Assert.Throws<ArgumentException>(() => builder.Add("n", (object?)null));
        Assert.Throws<ArgumentException>(() => CedarValue.From(1.5));
        Assert.Throws<ArgumentNullException>(() => builder.Add(null!, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CedarContextBuilder(-1));
        var context = builder.Build();
        Assert.Equal(["a"], context.Keys);
        Assert.Throws<InvalidOperationException>(() => builder.Add("b", "y"));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 5)]
    [InlineData(5, 5)]
    [InlineData(0, 8)]
    [InlineData(8, 9)]
    [InlineData(2, 9)]
    [InlineData(20, 20)]
    [InlineData(3, 30)]
    public void ContextBuilder_AnyFieldCountAndCapacity_GivesTheFromValuesRecord_InOrder_AndFindsEveryField(int capacity, int count)
    {
        var fields = Enumerable.Range(0, count).Select(i => new KeyValuePair<string, object?>("f" + i, i % 2 == 0 ? i : "v" + i)).ToList();
        var builder = new CedarContextBuilder(capacity);
        foreach (var (name, value) in fields)
        {
            builder.Add(name, value);
        }
        if (count > 0)
        {
            // A duplicate is refused whichever form the builder holds by now.
            Assert.Throws<ArgumentException>(() => builder.Add("f0", 1));
        }
        var context = builder.Build();
        var expected = CedarContext.FromValues(fields);

        Assert.Equal(expected.Record, context.Record);
        Assert.Equal(context.Record, expected.Record);
        Assert.Equal(expected.Record.GetHashCode(), context.Record.GetHashCode());
        Assert.Equal(fields.Select(f => f.Key), context.Keys);
        Assert.Equal(count, context.Record.Count);
        foreach (var (name, _) in fields)
        {
            Assert.True(context.Record.ContainsKey(name));
            Assert.True(context.Record.TryGetValue(name, out var v));
            Assert.True(expected.Record.TryGetValue(name, out var e));
            Assert.Equal(e, v);
        }
        Assert.False(context.Record.ContainsKey("missing"));
        Assert.False(context.Record.TryGetValue("F0", out _));
        if (count > 1)
        {
            // A record with one field fewer is a different record.
            Assert.NotEqual(CedarContext.FromValues(fields.Skip(1)).Record, context.Record);
            var set = PolicySet.Parse("""
                permit(principal, action, resource) when { context has f1 && context.f1 == "v1" && !(context has f999) };
                """);
            Assert.True(CedarAuthorizer.Authorize(set, Entities, new AuthorizationRequest(Client, Tax, Finance, context)).IsAllowed);
        }
    }

    [Fact]
    public void ContextBuilder_Context_DecidesLikeFromValues()
    {
        var time = new DateTimeOffset(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);
        var ctx = new CedarContextBuilder(4)
            .Add("trustDomain", CedarValue.String("company.org"))
            .Add("ip", CedarValue.From(System.Net.IPAddress.Parse("10.1.2.3")))
            .Add("time", time)
            .Add("amount", 42)
            .Build();
        var set = PolicySet.Parse("""
            permit(principal, action, resource) when {
              context.trustDomain == "company.org" && context.ip.isInRange(ip("10.0.0.0/8")) &&
              context.time > datetime("2024-01-01") && context.amount == 42
            };
            """);
        Assert.True(CedarAuthorizer.Authorize(set, Entities, new AuthorizationRequest(Client, Tax, Finance, ctx)).IsAllowed);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("11.0.0.0", "10.0.0.0/8", false)]
    [InlineData("9.255.255.255", "10.0.0.0/8", false)]
    [InlineData("0.0.0.0", "0.0.0.0/32", true)]
    [InlineData("255.255.255.255", "255.255.255.254/31", true)]
    [InlineData("192.168.1.1", "192.168.1.0/24", true)]
    [InlineData("127.0.0.1", "127.0.0.0/8", true)]
    public void Context_IPv4Address_IsTheSameValueAsCedarIp(string address, string range, bool inRange)
    {
        // An IPAddress in the context is converted from its bytes; it must equal ip("<address>") and sit in the
        // same ranges, or ABAC rules on ip would decide differently.
        var ctx = CedarContext.FromValues(new Dictionary<string, object?> { ["ip"] = System.Net.IPAddress.Parse(address) });
        var equal = PolicySet.Parse($$"""permit(principal, action, resource) when { context.ip == ip("{{address}}") && context.ip.isIpv4() };""");
        var within = PolicySet.Parse($$"""permit(principal, action, resource) when { context.ip.isInRange(ip("{{range}}")) };""");
        Assert.True(CedarAuthorizer.Authorize(equal, Entities, new AuthorizationRequest(Client, Tax, Finance, ctx)).IsAllowed);
        Assert.Equal(inRange, CedarAuthorizer.Authorize(within, Entities, new AuthorizationRequest(Client, Tax, Finance, ctx)).IsAllowed);
    }

    [Theory]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"1\"}, \"attrs\": {}, \"parents\": [{\"type\": \"A\", \"id\": \"2\"}]}, {\"uid\": {\"type\": \"A\", \"id\": \"2\"}, \"attrs\": {}, \"parents\": [{\"type\": \"A\", \"id\": \"1\"}]}]", "cycle")]
    [InlineData("{}", "array")]
    [InlineData("[{\"attrs\": {}, \"parents\": []}]", "uid")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"1\"}, \"parents\": []}]", "missing field `attrs`")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"1\"}, \"attrs\": {\"x\": null}, \"parents\": []}]", "nulls")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"1\"}, \"attrs\": {\"x\": 1.5}, \"parents\": []}]", "64-bit integer")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"1\"}, \"attrs\": {\"x\": {\"__extn\": {\"fn\": \"nope\", \"arg\": \"1\"}}}, \"parents\": []}]", "unknown extension")]
    public void Entities_Malformed_AreRejectedWithTypedError(string json, string fragment)
    {
        var ex = Assert.Throws<CedarJsonException>(() => EntityStore.FromJson(json));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_OnlyVisitsPoliciesWhoseScopeCanMatch()
    {
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => $"permit(principal == Agent::\"spiffe://company.org/agent/{i}\", action == Action::\"calculate-tax\", resource);\n"))
            + "permit(principal in Group::\"clients\", action, resource);\npermit(principal is Agent, action, resource);\npermit(principal, action == Action::\"other\", resource);";
        var set = PolicySet.Parse(text);
        var request = new AuthorizationRequest(Client, Tax, Finance);
        var visited = new List<string>();
        set.Index.ForEachCandidate(request, Entities, ref visited, static (CedarPolicy p, ref List<string> v) =>
        {
            v.Add(p.Id);
            return true;
        });
        Assert.Equal(["policy1000", "policy1001"], visited.Order());
        Assert.True(CedarAuthorizer.Authorize(set, Entities, request).IsAllowed);
    }

    [Fact]
    public void FastPath_ScopeOnlyRbac_DoesNotAllocate()
    {
        var set = PolicySet.Parse(string.Concat(Enumerable.Range(0, 100).Select(i => $"permit(principal == Agent::\"a{i}\", action == Action::\"calculate-tax\", resource);\n"))
            + "permit(principal in Group::\"clients\", action == Action::\"calculate-tax\", resource);");
        var request = new AuthorizationRequest(Client, Tax, Finance);
        var denied = new AuthorizationRequest(Client, new EntityUid("Action", "other"), Finance);
        for (var i = 0; i < 10; i++)
        {
            CedarAuthorizer.Authorize(set, Entities, request);
            CedarAuthorizer.Authorize(set, Entities, denied);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var allowed = 0;
        for (var i = 0; i < 1000; i++)
        {
            allowed += CedarAuthorizer.Authorize(set, Entities, request).IsAllowed ? 1 : 0;
        }
        var afterAllowed = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            allowed += CedarAuthorizer.Authorize(set, Entities, denied).IsAllowed ? 1 : 0;
        }
        var afterDenied = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(1000, allowed);
        Assert.Equal((0L, 0L), (afterAllowed - before, afterDenied - afterAllowed));
    }

    [Fact]
    public void Like_HandlesWildcardsAndEscapedStars()
    {
        Assert.True(Evaluator.Like("a*b", [new(false, 'a'), new(false, '*'), new(false, 'b')]));
        Assert.False(Evaluator.Like("axb", [new(false, 'a'), new(false, '*'), new(false, 'b')]));
        Assert.True(Evaluator.Like("axxb", [new(false, 'a'), new(true, '*'), new(false, 'b')]));
        Assert.True(Evaluator.Like(string.Empty, [new(true, '*')]));
    }
}
