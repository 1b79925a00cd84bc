using System.Net;
using Aztp.Core;
using Aztp.Policy.Internal;

namespace Aztp.Policy.Tests;

/// <summary>A source that counts its builds and hands out one prepared context (or fails on cue).</summary>
internal sealed class CountingSource(CedarContext context, Func<CedarContext>? instead = null) : CedarContextSource
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Action? OnBuild { get; init; }

    protected override CedarContext BuildContext()
    {
        Interlocked.Increment(ref _calls);
        OnBuild?.Invoke();
        return instead is null ? context : instead();
    }
}

public sealed class ReadsContextTests
{
    private const string Scope = "permit(principal, action, resource)";

    public static TheoryData<string, bool> Conditions => new()
    {
        // Nothing names the context.
        { "", false },
        { "when { true }", false },
        { "when { principal.tier > 1 }", false },
        { "when { resource has owner && resource.owner == principal }", false },
        { "when { principal in Group::\"clients\" }", false },
        { "when { principal is Agent in Group::\"clients\" }", false },
        { "when { principal.name == \"context\" }", false },
        { "when { principal.name like \"cont*ext\" }", false },
        { "when { [1, 2].contains(principal.tier) }", false },
        { "when { {a: principal.tier}.a == 1 }", false },
        { "when { if principal.tier > 1 then true else false }", false },
        { "when { ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) }", false },
        { "when { decimal(\"1.0\").lessThan(decimal(\"2.0\")) }", false },
        { "unless { resource.locked }", false },
        // Every occurrence of `context` counts, wherever it sits and whether or not evaluation would reach it.
        { "when { context.amount < 10000 }", true },
        { "unless { context.amount > 1000 }", true },
        { "when { context has amount }", true },
        { "when { context[\"amount\"] < 5 }", true },
        { "when { context == {} }", true },
        { "when { {} == context }", true },
        { "when { context != {a: 1} }", true },
        { "when { [context].contains({}) }", true },
        { "when { [1, context.n].contains(1) }", true },
        { "when { {a: context}.a == {} }", true },
        { "when { {a: {b: context.x}}.a.b == 1 }", true },
        { "when { [1, 2].contains(context.n) }", true },
        { "when { context.tags.contains(\"x\") }", true },
        { "when { context.tags.containsAll([\"x\"]) }", true },
        { "when { if context.flag then true else false }", true },
        { "when { if true then context.flag else false }", true },
        { "when { if true then true else context.flag }", true },
        { "when { context.name like \"a*\" }", true },
        { "when { !context.flag }", true },
        { "when { -context.n < 0 }", true },
        { "when { context.n + 1 > 2 }", true },
        { "when { context.n * 2 > 2 }", true },
        { "when { principal in context.groups }", true },
        { "when { principal is Agent in context.owner }", true },
        { "when { context.owner is Agent }", true },
        { "when { context.ip.isLoopback() }", true },
        { "when { ip(\"10.0.0.1\").isInRange(context.net) }", true },
        { "when { principal.tier > 1 || context.urgent }", true },
        { "when { false && context.never }", true },
        { "when { principal.tier > 1 } unless { context.blocked }", true },
        { "when { true } when { context.second }", true },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void ReadsContext_FollowsEveryOccurrenceOfTheContextVariable(string condition, bool reads)
    {
        var set = PolicySet.Parse($"{Scope} {condition};");
        Assert.Equal(reads, set.ReadsContext);
        Assert.Equal(reads, set.Policies[0].ReadsContext);
    }

    [Fact]
    public void ReadsContext_OfASet_IsTrueWhenAnyPolicyReadsIt()
    {
        Assert.False(PolicySet.Empty.ReadsContext);
        Assert.False(PolicySet.Parse(string.Empty).ReadsContext);
        Assert.False(PolicySet.Parse("// only a comment\n").ReadsContext);

        var mixed = PolicySet.Parse("""
            permit(principal == Agent::"a", action == Action::"echo", resource);
            forbid(principal, action, resource) when { context.amount > 1000 };
            permit(principal, action, resource) when { principal.tier > 1 };
            """);
        Assert.True(mixed.ReadsContext);
        Assert.Equal([false, true, false], mixed.Policies.Select(p => p.ReadsContext));

        var plain = PolicySet.Parse("permit(principal == Agent::\"a\", action == Action::\"echo\", resource);");
        var reading = PolicySet.Parse("forbid(principal, action, resource) when { context.amount > 1000 };", "limits/");
        Assert.False(PolicySet.Combine([plain, PolicySet.Parse("permit(principal, action, resource);", "b/")]).ReadsContext);
        Assert.True(PolicySet.Combine([plain, reading]).ReadsContext);
        Assert.True(PolicySet.Parse([("a.cedar", "permit(principal, action, resource);"), ("b.cedar", "forbid(principal, action, resource) unless { context has ok };")]).ReadsContext);
        Assert.False(PolicySet.Parse([("a.cedar", "permit(principal, action, resource);"), ("b.cedar", "forbid(principal, action, resource) unless { principal has ok };")]).ReadsContext);
    }

    [Fact]
    public void ReadsContext_OfRbacBuilderOutput_DependsOnlyOnWhenClauses()
    {
        var rbac = new RbacPolicyBuilder();
        rbac.Allow("spiffe://company.org/agent/client").ToCall("calculate-tax").WithReason("clients may calculate tax");
        rbac.AllowGroup("auditors").ToCall("get-report", "list-reports");
        rbac.Deny("spiffe://company.org/agent/retired");
        Assert.False(rbac.Build().ReadsContext);

        rbac.AllowAnyone().ToCall("health").When("principal.tier > 1");
        Assert.False(rbac.Build().ReadsContext);

        rbac.AllowAnyone().ToCall("pay").When("context.amount < 10000");
        Assert.True(rbac.Build().ReadsContext);
    }

    private sealed class UnknownExpr() : Expr((ExprKind)999, default);

    [Fact]
    public void ReadsContext_OfAnUnclassifiedNode_IsTrue_FailSafe()
    {
        Assert.True(ContextUse.Reads(new UnknownExpr()));
        Assert.True(ContextUse.Reads(new VarExpr((VarKind)99, default)));
        Assert.True(ContextUse.Reads(new LogicExpr(ExprKind.And, new LiteralExpr(BoolValue.True, default), new UnknownExpr(), default)));
        Assert.False(ContextUse.Reads(new VarExpr(VarKind.Principal, default)));
    }
}

public sealed class LazyContextTests
{
    private static readonly EntityUid Client = new("Agent", "spiffe://company.org/agent/client");
    private static readonly EntityUid Finance = new("Agent", "spiffe://company.org/agent/finance");
    private static readonly EntityUid Tax = new("Action", "calculate-tax");

    private static readonly EntityStore Entities = EntityStore.FromJson("""
        [{"uid": {"type": "Agent", "id": "spiffe://company.org/agent/client"}, "attrs": {"tier": 2}, "parents": [{"type": "Group", "id": "clients"}]}]
        """);

    private static CedarContext Facts(long? amount, bool withTrace = true) => CedarContext.FromValues(new Dictionary<string, object?>
    {
        ["trustDomain"] = "company.org",
        ["method"] = "/finance.Finance/CalculateTax",
        ["time"] = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero),
        ["traceId"] = withTrace ? "0af7651916cd43dd8448eb211c80319c" : "",
        ["ip"] = IPAddress.Loopback,
    }.Concat(amount is { } a ? [new KeyValuePair<string, object?>("amount", a)] : []));

    private static readonly string[] PolicyTexts =
    [
        "",
        "permit(principal == Agent::\"spiffe://company.org/agent/client\", action == Action::\"calculate-tax\", resource);",
        "permit(principal in Group::\"clients\", action, resource) when { principal.tier > 1 };",
        """
        @id("open") permit(principal, action, resource);
        @id("limit") forbid(principal, action, resource) when { context.amount > 1000 };
        """,
        """
        @id("small") permit(principal, action, resource) when { context.amount < 10000 && context.trustDomain == "company.org" };
        """,
        """
        @id("open") permit(principal, action, resource);
        @id("traced") forbid(principal, action, resource) unless { context has traceId && context.traceId != "" };
        """,
        """
        @id("open") permit(principal in Group::"clients", action, resource);
        @id("local") forbid(principal, action, resource) when { context.ip.isLoopback() && context.method like "*/CalculateTax" };
        """,
        """
        @id("a") permit(principal, action, resource);
        @id("b") permit(principal, action, resource) when { context.amount < 100 };
        @id("c") forbid(principal, action == Action::"other", resource) when { context.amount > 0 };
        """,
        """
        @id("late") permit(principal, action, resource) when { context.time > datetime("2026-01-01") };
        @id("missing") permit(principal, action, resource) when { context.nothing == 1 };
        """,
    ];

    public static IEnumerable<object[]> SetsAndContexts()
    {
        foreach (var set in PolicyTexts)
        {
            foreach (var amount in new long?[] { null, 5, 5_000, 250_000 })
            {
                foreach (var trace in new[] { true, false })
                {
                    yield return [set, amount!, trace];
                }
            }
            yield return [set, "empty", false];
        }
    }

    private static CedarContext ContextFor(object? amount, bool trace) =>
        amount is "empty" ? CedarContext.Empty : Facts((long?)amount, trace);

    [Theory]
    [MemberData(nameof(SetsAndContexts))]
    public void LazyRequest_DecidesExactlyAsTheEagerRequest_AndBuildsOnlyForSetsThatReadContext(string policies, object? amount, bool trace)
    {
        var set = PolicySet.Parse(policies);
        var context = ContextFor(amount, trace);
        var eager = CedarAuthorizer.Authorize(set, Entities, new AuthorizationRequest(Client, Tax, Finance, context));
        var source = new CountingSource(context);
        var lazy = CedarAuthorizer.Authorize(set, Entities, new AuthorizationRequest(Client, Tax, Finance, source));

        Assert.Equal(eager.Decision, lazy.Decision);
        Assert.Equal(eager.DeterminingPolicies.Select(p => p.Id), lazy.DeterminingPolicies.Select(p => p.Id));
        Assert.Equal(eager.Errors, lazy.Errors);
        Assert.Equal(set.ReadsContext ? 1 : 0, source.Calls);
    }

    [Fact]
    public void Differential_CoversForbidsOnContext_AllowsAndErrors()
    {
        // Guard against a table that no longer exercises what matters: a forbid decided by the context, and an error.
        var limit = PolicySet.Parse(PolicyTexts[3]);
        var denied = CedarAuthorizer.Authorize(limit, Entities, new AuthorizationRequest(Client, Tax, Finance, new CountingSource(Facts(5_000))));
        Assert.False(denied.IsAllowed);
        Assert.Equal(["limit"], denied.PolicyNames);
        var withoutAmount = CedarAuthorizer.Authorize(limit, Entities, new AuthorizationRequest(Client, Tax, Finance, new CountingSource(Facts(null))));
        Assert.True(withoutAmount.IsAllowed);
        Assert.Equal("policy1", Assert.Single(withoutAmount.Errors).PolicyId);
    }

    [Fact]
    public async Task PolicyStore_AskedForAContextFreeSet_NeverBuildsTheContext_AndStillEmitsTheEvent()
    {
        await using var rec = new EventRecorder();
        await using var store = PolicyStore.FromText("@id(\"plain\") permit(principal == Agent::\"spiffe://company.org/agent/client\", action, resource);", monitor: rec.Monitor);
        var source = new CountingSource(Facts(5), () => throw new InvalidOperationException("must not be built"));

        var response = await store.AuthorizeAsync(new AuthorizationRequest(Client, Tax, Finance, source));
        Assert.True(response.IsAllowed);
        Assert.Equal(0, source.Calls);
        var e = await rec.NextAsync(EventActions.Evaluated);
        Assert.True(e.Data["allowed"].AsBoolean());
        Assert.Equal(["plain"], e.Data["policyIds"].AsArray().Select(v => v.AsString()));
    }

    [Fact]
    public void FailingSource_FailsTheDecision_OnlyWhenTheSetReadsContext()
    {
        var boom = new ArgumentException("context.amount: values of type Double have no Cedar representation");
        var reading = PolicySet.Parse(PolicyTexts[3]);
        var plain = PolicySet.Parse(PolicyTexts[1]);
        var source = new CountingSource(CedarContext.Empty, () => throw boom);
        var request = new AuthorizationRequest(Client, Tax, Finance, source);

        Assert.Same(boom, Assert.Throws<ArgumentException>(() => CedarAuthorizer.Authorize(reading, Entities, request)));
        Assert.True(CedarAuthorizer.Authorize(plain, Entities, request).IsAllowed);
        // Nothing was kept from the failed build: the next reader asks again.
        Assert.Same(boom, Assert.Throws<ArgumentException>(() => request.Context));
        Assert.Equal(2, source.Calls);
        Assert.False(request.IsContextMaterialized);
    }

    [Fact]
    public void Context_IsBuiltOnce_AndSharedByReadsAndCopies_WithoutBuildingForToStringOrReplacement()
    {
        var context = Facts(5);
        var source = new CountingSource(context);
        var request = new AuthorizationRequest(Client, Tax, Finance, source);

        Assert.Contains("built on first read", request.ToString(), StringComparison.Ordinal);
        var replaced = request with { Context = CedarContext.Empty };
        Assert.Same(CedarContext.Empty, replaced.Context);
        Assert.False(request.IsContextMaterialized);
        Assert.Equal(0, source.Calls);

        var copy = request with { Action = new EntityUid("Action", "other") };
        Assert.Same(context, request.Context);
        Assert.Same(context, request.Context);
        Assert.Same(context, copy.Context);
        Assert.True(copy.IsContextMaterialized);
        var (_, _, _, deconstructed) = request;
        Assert.Same(context, deconstructed);
        Assert.Equal(1, source.Calls);
        Assert.DoesNotContain("built on first read", request.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Context_ReadByRacingThreads_IsBuiltOnce()
    {
        for (var round = 0; round < 20; round++)
        {
            var source = new CountingSource(Facts(5)) { OnBuild = () => Thread.SpinWait(20_000) };
            var request = new AuthorizationRequest(Client, Tax, Finance, source);
            var seen = new CedarContext[4];
            using var start = new Barrier(seen.Length);
            var threads = Enumerable.Range(0, seen.Length).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                seen[i] = request.Context;
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Equal(1, source.Calls);
            Assert.All(seen, c => Assert.Same(seen[0], c));
        }
    }

    private sealed class NullSource : CedarContextSource
    {
        protected override CedarContext BuildContext() => null!;
    }

    private sealed class SelfReadingSource : CedarContextSource
    {
        public AuthorizationRequest? Request { get; set; }

        protected override CedarContext BuildContext() => Request!.Context;
    }

    [Fact]
    public void MisbehavingSources_AndNulls_GetTypedExceptions()
    {
        var nullRequest = new AuthorizationRequest(Client, Tax, Finance, new NullSource());
        Assert.Contains("returned null", Assert.Throws<InvalidOperationException>(() => nullRequest.Context).Message, StringComparison.Ordinal);

        var self = new SelfReadingSource();
        self.Request = new AuthorizationRequest(Client, Tax, Finance, self);
        Assert.Contains("read the context it is building", Assert.Throws<InvalidOperationException>(() => self.Request.Context).Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentNullException>(() => new AuthorizationRequest(Client, Tax, Finance, (CedarContextSource)null!));
        Assert.Throws<ArgumentNullException>(() => new AuthorizationRequest(Client, Tax, Finance, (CedarContext)null!));
        Assert.Throws<ArgumentNullException>(() => new AuthorizationRequest(Client, Tax, Finance) with { Context = null! });
    }

    [Fact]
    public void OpaInput_AlwaysCarriesTheFullContext_BuiltOnce()
    {
        var context = Facts(5);
        var source = new CountingSource(context);
        var lazy = OpaPolicyEngine.InputJson(new AuthorizationRequest(Client, Tax, Finance, source));
        Assert.Equal(OpaPolicyEngine.InputJson(new AuthorizationRequest(Client, Tax, Finance, context)), lazy);
        Assert.Contains("\"amount\":5", lazy, StringComparison.Ordinal);
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task OpaEngine_SendsALazyContext_ToTheDecisionPoint()
    {
        await using var opa = await FakeOpaServer.StartAsync();
        using var engine = new OpaPolicyEngine(new OpaOptions { BaseAddress = opa.BaseAddress, DecisionPath = "aztp/authz/allow", Timeout = TimeSpan.FromSeconds(10) });
        var source = new CountingSource(Facts(5));

        Assert.True((await engine.AuthorizeAsync(new AuthorizationRequest(Client, Tax, Finance, source))).IsAllowed);
        Assert.Equal(1, source.Calls);
        Assert.Equal(5, opa.LastInput.GetProperty("context").GetProperty("amount").GetInt64());
    }
}

/// <summary>
/// The snapshot that decides a request is the one that says whether its context is needed: a reload between the two
/// must never let a context-reading set be evaluated without its context (a forbid on the context would error, be
/// skipped, and a permit would allow).
/// </summary>
public sealed class LazyContextReloadTests : IDisposable
{
    private const string Plain = """
        @id("plain") permit(principal, action, resource);
        """;

    // Evaluated without its context, "limit" would error and be skipped, and "open" would allow.
    private const string Limited = """
        @id("open") permit(principal, action, resource);
        @id("limit") forbid(principal, action, resource) when { context.amount > 1000 };
        """;

    private static readonly EntityUid Client = new("Agent", "spiffe://company.org/agent/client");
    private static readonly EntityUid Finance = new("Agent", "spiffe://company.org/agent/finance");
    private static readonly EntityUid Tax = new("Action", "calculate-tax");
    private static readonly CedarContext Large = CedarContext.FromValues(new Dictionary<string, object?> { ["amount"] = 5_000L });

    private readonly string _dir = Directory.CreateTempSubdirectory("aztp-lazy-context-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string policies)
    {
        // Whole-file replacement, so a concurrent reload reads the old or the new set, never half of one.
        var temp = Path.Combine(_dir, "next.tmp");
        File.WriteAllText(temp, policies);
        File.Move(temp, Path.Combine(_dir, "agents.cedar"), overwrite: true);
    }

    private Task<PolicyStore> OpenAsync() => PolicyStore.OpenAsync(new PolicyStoreOptions { PolicyDir = _dir, WatchForChanges = false });

    [Fact]
    public async Task Reload_FromContextFreeToContextReading_TheNewSetGetsTheContextAndDenies()
    {
        Write(Plain);
        await using var store = await OpenAsync();
        var before = new CountingSource(Large);
        var allowed = await store.AuthorizeAsync(new AuthorizationRequest(Client, Tax, Finance, before));
        Assert.True(allowed.IsAllowed);
        Assert.Equal(["plain"], allowed.PolicyNames);
        Assert.Equal(0, before.Calls);

        Write(Limited);
        Assert.Equal(PolicyReloadResult.Loaded, await store.ReloadAsync());
        var after = new CountingSource(Large);
        var denied = await store.AuthorizeAsync(new AuthorizationRequest(Client, Tax, Finance, after));
        Assert.False(denied.IsAllowed);
        Assert.Equal(["limit"], denied.PolicyNames);
        Assert.Empty(denied.Errors);
        Assert.Equal(1, after.Calls);
    }

    [Fact]
    public async Task Reload_WhileTheContextIsBeingBuilt_DoesNotChangeTheSnapshotThatAskedForIt()
    {
        Write(Limited);
        await using var store = await OpenAsync();
        var reloaded = PolicyReloadResult.Failed;
        var source = new CountingSource(Large)
        {
            OnBuild = () =>
            {
                // The store swaps to a set that would allow without the context while this request is mid-decision.
                Write(Plain);
                reloaded = store.ReloadAsync().GetAwaiter().GetResult();
            },
        };

        var response = store.Authorize(new AuthorizationRequest(Client, Tax, Finance, source));
        Assert.Equal(PolicyReloadResult.Loaded, reloaded);
        Assert.False(response.IsAllowed);
        Assert.Equal(["limit"], response.PolicyNames);
        Assert.Equal(1, source.Calls);

        var next = new CountingSource(Large);
        Assert.Equal(["plain"], store.Authorize(new AuthorizationRequest(Client, Tax, Finance, next)).PolicyNames);
        Assert.Equal(0, next.Calls);
    }

    [Fact]
    public async Task ConcurrentReloads_NeverEvaluateAContextReadingSetWithoutItsContext()
    {
        Write(Plain);
        await using var store = await OpenAsync();
        using var done = new CancellationTokenSource();
        var flipper = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 150; i++)
                {
                    Write(i % 2 == 0 ? Limited : Plain);
                    await store.ReloadAsync();
                }
            }
            finally
            {
                done.Cancel();
            }
        });

        var (allowed, denied) = (0, 0);
        while (!done.IsCancellationRequested || allowed + denied == 0)
        {
            var source = new CountingSource(Large);
            var response = await store.AuthorizeAsync(new AuthorizationRequest(Client, Tax, Finance, source));
            Assert.Empty(response.Errors);
            if (response.IsAllowed)
            {
                allowed++;
                Assert.Equal(["plain"], response.PolicyNames);
                Assert.Equal(0, source.Calls);
            }
            else
            {
                denied++;
                Assert.Equal(["limit"], response.PolicyNames);
                Assert.Equal(1, source.Calls);
            }
        }
        await flipper;
        Assert.True(allowed + denied > 0);
    }
}
