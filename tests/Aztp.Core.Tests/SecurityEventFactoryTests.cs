using Aztp.Core;

namespace Aztp.Core.Tests;

public class SecurityEventFactoryTests
{
    private static readonly SecurityEventFactory F = new("finance", "spiffe://company.org/finance");

    public static TheoryData<string, SecurityEventType, string, EventSeverity, EventOutcome, bool> Rule => new()
    {
        { "IdentityVerified", SecurityEventType.Identity, "verified", EventSeverity.Info, EventOutcome.Success, true },
        { "IdentityFailed", SecurityEventType.Identity, "failed", EventSeverity.Warning, EventOutcome.Failure, false },
        { "IdentitySetupComplete", SecurityEventType.Identity, "setup_complete", EventSeverity.Info, EventOutcome.Success, true },
        { "IdentityRotated", SecurityEventType.Identity, "rotated", EventSeverity.Info, EventOutcome.Success, true },
        { "IdentityExpiring", SecurityEventType.Identity, "expiring", EventSeverity.Warning, EventOutcome.Success, true },
        { "IdentityExpired", SecurityEventType.Identity, "expired", EventSeverity.Critical, EventOutcome.Failure, false },
        { "PolicyAllowed", SecurityEventType.Policy, "evaluated", EventSeverity.Info, EventOutcome.Success, true },
        { "PolicyDenied", SecurityEventType.Policy, "evaluated", EventSeverity.Warning, EventOutcome.Denied, false },
        { "PolicyLoaded", SecurityEventType.Policy, "loaded", EventSeverity.Info, EventOutcome.Success, true },
        { "PolicyReloadFailed", SecurityEventType.Policy, "reload_failed", EventSeverity.Warning, EventOutcome.Failure, false },
        { "RpcRequestSent", SecurityEventType.Rpc, "request_sent", EventSeverity.Info, EventOutcome.Success, true },
        { "RpcResponseReceived", SecurityEventType.Rpc, "response_received", EventSeverity.Info, EventOutcome.Success, true },
        { "RpcRequestReceived", SecurityEventType.Rpc, "request_received", EventSeverity.Info, EventOutcome.Success, true },
        { "RpcResponseSent", SecurityEventType.Rpc, "response_sent", EventSeverity.Info, EventOutcome.Success, true },
        { "RpcFailedUnavailable", SecurityEventType.Rpc, "failed", EventSeverity.Warning, EventOutcome.Failure, false },
        { "RpcFailedInternal", SecurityEventType.Rpc, "failed", EventSeverity.Error, EventOutcome.Error, false },
        { "RpcFailedPermissionDenied", SecurityEventType.Rpc, "failed", EventSeverity.Warning, EventOutcome.Denied, false },
        { "RpcDenied", SecurityEventType.Rpc, "denied", EventSeverity.Warning, EventOutcome.Denied, false },
        { "HandlerFailed", SecurityEventType.Monitoring, "handler_failed", EventSeverity.Error, EventOutcome.Error, false },
        { "HandlerTimeout", SecurityEventType.Monitoring, "handler_timeout", EventSeverity.Error, EventOutcome.Error, false },
        { "Backpressure", SecurityEventType.Monitoring, "backpressure", EventSeverity.Warning, EventOutcome.Failure, false },
        { "SystemStarted", SecurityEventType.System, "started", EventSeverity.Info, EventOutcome.Success, true },
        { "SystemStopped", SecurityEventType.System, "stopped", EventSeverity.Info, EventOutcome.Success, true },
    };

    private static SecurityEvent Make(string name) => name switch
    {
        "IdentityVerified" => F.IdentityVerified("spiffe://company.org/payroll", "127.0.0.1"),
        "IdentityFailed" => F.IdentityFailed("expired", "spiffe://company.org/payroll", "127.0.0.1"),
        "IdentitySetupComplete" => F.IdentitySetupComplete("spiffe://company.org/finance", DateTimeOffset.UtcNow.AddHours(1), "keydir"),
        "IdentityRotated" => F.IdentityRotated("spiffe://company.org/finance", DateTimeOffset.UtcNow.AddHours(1), "01"),
        "IdentityExpiring" => F.IdentityExpiring("spiffe://company.org/finance", DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(5)),
        "IdentityExpired" => F.IdentityExpired("spiffe://company.org/finance", DateTimeOffset.UtcNow),
        "PolicyAllowed" => F.PolicyEvaluated(true, "spiffe://company.org/payroll", "calculate-tax", "payroll may calculate tax", ["allow-payroll"]),
        "PolicyDenied" => F.PolicyEvaluated(false, "spiffe://company.org/marketing", "calculate-tax", "default deny"),
        "PolicyLoaded" => F.PolicyLoaded("sha256:00", 3, "./policies"),
        "PolicyReloadFailed" => F.PolicyReloadFailed("unexpected token", "a.cedar", 3, 7),
        "RpcRequestSent" => F.RpcRequestSent("calculate-tax", "https://127.0.0.1:5001"),
        "RpcResponseReceived" => F.RpcResponseReceived("calculate-tax", "https://127.0.0.1:5001", 1.5),
        "RpcRequestReceived" => F.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1"),
        "RpcResponseSent" => F.RpcResponseSent("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1", 0.8),
        "RpcFailedUnavailable" => F.RpcFailed("calculate-tax", "x", 14, "UNAVAILABLE", 3, "client"),
        "RpcFailedInternal" => F.RpcFailed("calculate-tax", "x", 13, "INTERNAL", 3, "server"),
        "RpcFailedPermissionDenied" => F.RpcFailed("calculate-tax", "x", 7, "PERMISSION_DENIED", 3, "client"),
        "RpcDenied" => F.RpcDenied("calculate-tax", "spiffe://company.org/marketing", "127.0.0.1", 0.2),
        "HandlerFailed" => F.HandlerFailed("sqlite", "evt_1", "System.IO.IOException"),
        "HandlerTimeout" => F.HandlerTimeout("sqlite", "evt_1", TimeSpan.FromSeconds(5)),
        "Backpressure" => F.Backpressure(8192, 1),
        "SystemStarted" => F.SystemStarted("1.0.0"),
        "SystemStopped" => F.SystemStopped(10),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Rule))]
    public void TypedHelpers_FollowTheSeverityOutcomeRule(string helper, SecurityEventType type, string action, EventSeverity severity, EventOutcome outcome, bool success)
    {
        var e = Make(helper);
        Assert.Equal(type, e.Type);
        Assert.Equal(action, e.Data.Action);
        Assert.Equal(severity, e.Severity);
        Assert.Equal(outcome, e.Outcome);
        Assert.Equal(success, e.Data.Success);
        Assert.Equal("finance", e.AgentId);
        Assert.Equal("spiffe://company.org/finance", e.SpiffeId);
        Assert.Equal(new[] { "action", "success" }, e.Data.Keys.Take(2));
    }

    [Fact]
    public void PolicyEvaluated_CarriesDecisionFields()
    {
        var e = F.PolicyEvaluated(false, "spiffe://company.org/marketing", "calculate-tax", "marketing is forbidden", ["forbid-marketing"], ["policy3"], "spiffe://company.org/finance", "10.1.1.1");
        Assert.False(e.Data["allowed"].AsBoolean());
        Assert.Equal("marketing is forbidden", e.Data["reason"].AsString());
        Assert.Equal("calculate-tax", e.Data["method"].AsString());
        Assert.Equal("spiffe://company.org/marketing", e.Data["principal"].AsString());
        Assert.Equal(new[] { "forbid-marketing" }, e.Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(new[] { "policy3" }, e.Data["errors"].AsArray().Select(v => v.AsString()));
        Assert.Equal("10.1.1.1", e.Actor!.Ip);
    }

    [Fact]
    public void NullOptionalFields_AreLeftOut()
    {
        var e = F.IdentityFailed("untrusted");
        Assert.False(e.Data.ContainsKey("spiffeId"));
        Assert.Equal(EventActor.UnknownType, e.Actor!.Type);
    }

    [Fact]
    public void Timestamps_ComeFromTheInjectedClock()
    {
        var clock = new FixedClock(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        var e = new SecurityEventFactory("a", null, clock).SystemStarted();
        Assert.Equal(clock.Now, e.Timestamp);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now => now;

        public override DateTimeOffset GetUtcNow() => now;
    }
}

public class SecurityEventFactoryDataTests
{
    private static readonly SecurityEventFactory F = new("finance", "spiffe://company.org/finance");

    // Every factory event's data must equal (and serialize like) the same fields put together the general way, also
    // when the same call site alternates between shapes with and without its optional fields.
    public static TheoryData<string> Shapes => new() { "failed-full", "failed-bare", "reload-some", "reload-all", "reload-none", "evaluated", "evaluated-errors" };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FactoryData_MatchesTheGeneralBuilder(string shape)
    {
        var (e, fields) = shape switch
        {
            "failed-full" => (F.IdentityFailed("expired", "spiffe://company.org/payroll", "10.0.0.1", "too old"),
                new Dictionary<string, EventValue> { ["action"] = "failed", ["success"] = false, ["reason"] = "expired", ["spiffeId"] = "spiffe://company.org/payroll", ["detail"] = "too old" }),
            "failed-bare" => (F.IdentityFailed("untrusted"),
                new Dictionary<string, EventValue> { ["action"] = "failed", ["success"] = false, ["reason"] = "untrusted" }),
            "reload-some" => (F.PolicyReloadFailed("bad", "a.cedar", 3),
                new Dictionary<string, EventValue> { ["action"] = "reload_failed", ["success"] = false, ["error"] = "bad", ["file"] = "a.cedar", ["line"] = 3 }),
            "reload-all" => (F.PolicyReloadFailed("bad", "a.cedar", 3, 7, "dir"),
                new Dictionary<string, EventValue> { ["action"] = "reload_failed", ["success"] = false, ["error"] = "bad", ["file"] = "a.cedar", ["line"] = 3, ["column"] = 7, ["source"] = "dir" }),
            "reload-none" => (F.PolicyReloadFailed("bad"),
                new Dictionary<string, EventValue> { ["action"] = "reload_failed", ["success"] = false, ["error"] = "bad" }),
            "evaluated" => (F.PolicyEvaluated(true, "spiffe://company.org/caller", "echo", "ok", ["p1"]),
                new Dictionary<string, EventValue> { ["action"] = "evaluated", ["success"] = true, ["allowed"] = true, ["reason"] = "ok", ["principal"] = "spiffe://company.org/caller", ["method"] = "echo", ["policyIds"] = EventValue.FromStrings(["p1"]) }),
            _ => (F.PolicyEvaluated(false, "spiffe://company.org/caller", "echo", "err", [], ["p2"], "finance"),
                new Dictionary<string, EventValue> { ["action"] = "evaluated", ["success"] = false, ["allowed"] = false, ["reason"] = "err", ["principal"] = "spiffe://company.org/caller", ["method"] = "echo", ["policyIds"] = EventValue.FromStrings([]), ["errors"] = EventValue.FromStrings(["p2"]), ["resource"] = "finance" }),
        };
        var expected = EventData.Of([.. fields]);
        Assert.Equal(expected, e.Data);
        Assert.Equal(expected.Keys, e.Data.Keys);
        Assert.Equal(SecurityEventJson.Serialize(e), SecurityEventJson.Serialize(e.WithData(expected)));
    }

    [Fact]
    public void OneCallSite_AlternatingShapes_KeepsEachShapesKeys()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(["action", "success", "detail", "reason", "spiffeId"], F.IdentityFailed("expired", "spiffe://company.org/p", null, "old").Data.Keys);
            Assert.Equal(["action", "success", "reason"], F.IdentityFailed("expired").Data.Keys);
            Assert.Equal(["action", "success", "reason", "spiffeId"], F.IdentityFailed("expired", "spiffe://company.org/p").Data.Keys);
        }
    }

    [Fact]
    public void PolicyIds_FromAReusedArray_FollowItsCurrentContents()
    {
        var factory = new SecurityEventFactory("finance");
        string[] ids = ["p1", "p2"];
        var first = factory.PolicyEvaluated(true, "spiffe://company.org/a", "echo", "ok", ids);
        var again = factory.PolicyEvaluated(true, "spiffe://company.org/a", "echo", "ok", ids);
        ids[1] = "p3";
        var changed = factory.PolicyEvaluated(true, "spiffe://company.org/a", "echo", "ok", ids);
        var other = factory.PolicyEvaluated(true, "spiffe://company.org/a", "echo", "ok", ["p1"]);
        Assert.Equal(["p1", "p2"], first.Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(["p1", "p2"], again.Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(["p1", "p3"], changed.Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(["p1"], other.Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Empty(factory.PolicyEvaluated(false, "spiffe://company.org/a", "echo", "none").Data["policyIds"].AsArray());
    }

    [Fact]
    public void PeerActors_FollowTheCaller_WhenCallersAlternate()
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        string[] callers = ["spiffe://company.org/a", "spiffe://company.org/b"];
        for (var i = 0; i < 6; i++)
        {
            var caller = callers[i % 2];
            var ip = i % 3 == 0 ? null : "10.0.0." + (i % 3);
            var e = factory.RpcRequestReceived("echo", caller, ip);
            Assert.Equal(EventActor.Agent(caller, ip), e.Actor);
            Assert.Equal(EventActor.Agent(caller, ip), factory.PolicyEvaluated(true, caller, "echo", "ok", peerIp: ip).Actor);
        }
    }

    [Fact]
    public void PeerActors_OfOneCall_WithAndWithoutTheAddress_AreEachMadeOnce()
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        const string Caller = "spiffe://company.org/caller";
        var received = factory.RpcRequestReceived("echo", Caller, "10.0.0.1").Actor;
        var decided = factory.PolicyEvaluated(true, Caller, "echo", "ok").Actor;
        var sent = factory.RpcResponseSent("echo", Caller, "10.0.0.1", 1).Actor;
        var nextDecision = factory.PolicyEvaluated(true, Caller, "echo", "ok").Actor;

        Assert.Equal(EventActor.Agent(Caller, "10.0.0.1"), received);
        Assert.Equal(EventActor.Agent(Caller), decided);
        Assert.Same(received, sent);
        Assert.Same(decided, nextDecision);
        Assert.Equal(EventActor.Agent("spiffe://company.org/other"), factory.PolicyEvaluated(true, "spiffe://company.org/other", "echo", "ok").Actor);
    }

    public static TheoryData<string, bool, string, string, string, string[], string?> EvaluatedVariants => new()
    {
        { "same", true, "ok", "spiffe://company.org/a", "echo", ["p1"], "spiffe://company.org/finance" },
        { "allowed", false, "ok", "spiffe://company.org/a", "echo", ["p1"], "spiffe://company.org/finance" },
        { "reason", true, "other", "spiffe://company.org/a", "echo", ["p1"], "spiffe://company.org/finance" },
        { "principal", true, "ok", "spiffe://company.org/b", "echo", ["p1"], "spiffe://company.org/finance" },
        { "method", true, "ok", "spiffe://company.org/a", "tax", ["p1"], "spiffe://company.org/finance" },
        { "policies", true, "ok", "spiffe://company.org/a", "echo", ["p1", "p2"], "spiffe://company.org/finance" },
        { "no policies", true, "ok", "spiffe://company.org/a", "echo", [], "spiffe://company.org/finance" },
        { "resource", true, "ok", "spiffe://company.org/a", "echo", ["p1"], "spiffe://company.org/other" },
        { "no resource", true, "ok", "spiffe://company.org/a", "echo", ["p1"], null },
    };

    [Theory]
    [MemberData(nameof(EvaluatedVariants))]
    public void PolicyEvaluated_ReusesTheLastDataOnlyWhenEveryInputIsEqual(string change, bool allowed, string reason, string principal,
        string method, string[] policyIds, string? resource)
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var first = factory.PolicyEvaluated(true, "spiffe://company.org/a", "echo", "ok", ["p1"], null, "spiffe://company.org/finance");
        // Equal content in new string instances (the policy names are the engine's own, the same objects each decision,
        // in a new list): still the same data.
        var next = factory.PolicyEvaluated(allowed, new string(principal), new string(method), new string(reason),
            policyIds.Select(string.Intern).ToList(), null, resource is null ? null : new string(resource));
        var fresh = new SecurityEventFactory("finance", "spiffe://company.org/finance")
            .PolicyEvaluated(allowed, principal, method, reason, policyIds, null, resource);

        Assert.Equal(fresh.Data, next.Data);
        Assert.Equal(SecurityEventJson.Serialize(fresh).Split("\"data\":")[1], SecurityEventJson.Serialize(next).Split("\"data\":")[1]);
        Assert.Equal(change == "same", ReferenceEquals(first.Data, next.Data));
    }

    [Fact]
    public void PolicyEvaluated_WithErrors_IsNeverAnsweredWithCachedData()
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var clean = factory.PolicyEvaluated(false, "spiffe://company.org/a", "echo", "deny", [], null, "r");
        var failed = factory.PolicyEvaluated(false, "spiffe://company.org/a", "echo", "deny", [], ["p9"], "r");
        var cleanAgain = factory.PolicyEvaluated(false, "spiffe://company.org/a", "echo", "deny", [], null, "r");

        Assert.Equal(["p9"], failed.Data["errors"].AsArray().Select(v => v.AsString()));
        Assert.False(clean.Data.ContainsKey("errors"));
        Assert.Same(clean.Data, cleanAgain.Data);
    }

    [Fact]
    public void RequestSentAndReceived_ReuseTheLastData_WhileMethodAndPeerStayTheSame()
    {
        var factory = new SecurityEventFactory("caller", "spiffe://company.org/caller");
        var trace = EventTrace.NewTrace();
        var a = factory.RpcRequestSent("/svc/M", "127.0.0.1:1", trace);
        var b = factory.RpcRequestSent("/svc/M", new string("127.0.0.1:1"), "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
        var c = factory.RpcRequestSent("/svc/N", "127.0.0.1:1");
        Assert.Same(a.Data, b.Data);
        Assert.Equal("/svc/N", c.Data["method"].AsString());
        Assert.Equal("127.0.0.1:1", c.Data["peer"].AsString());

        var r1 = factory.RpcRequestReceived("echo", "spiffe://company.org/a", "10.0.0.1");
        var r2 = factory.RpcRequestReceived("echo", "spiffe://company.org/a", "10.0.0.2");
        var r3 = factory.RpcRequestReceived("echo", null, "10.0.0.3");
        var r4 = factory.RpcRequestReceived("echo", "spiffe://company.org/b", "10.0.0.2");
        Assert.Same(r1.Data, r2.Data);
        Assert.Equal("10.0.0.3", r3.Data["peer"].AsString());
        Assert.Equal("spiffe://company.org/b", r4.Data["peer"].AsString());
        Assert.Equal(EventActions.RequestReceived, r4.Data["action"].AsString());
    }

    [Fact]
    public void Ids_AreUniqueAcrossThreads_AndSortedWithinEach()
    {
        const int PerThread = 20_000;
        var lists = new List<string>[4];
        Parallel.For(0, lists.Length, new ParallelOptions { MaxDegreeOfParallelism = lists.Length }, t =>
        {
            var ids = new List<string>(PerThread);
            for (var i = 0; i < PerThread; i++)
            {
                ids.Add(F.SystemStarted().Id);
            }
            lists[t] = ids;
        });
        var all = lists.SelectMany(l => l).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(lists, l => Assert.Equal(l, l.Order(StringComparer.Ordinal)));
        Assert.All(all, id => Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", id));
    }

    [Fact]
    public void EventIds_FromPositions_AreTheIdsNextGives_InOrder_AndEventsFormatThem()
    {
        var now = DateTimeOffset.UtcNow;
        var first = Aztp.Core.Internal.EventId.NextPosition(now, out var firstSequence);
        var between = Aztp.Core.Internal.EventId.Next(now);
        var second = Aztp.Core.Internal.EventId.NextPosition(now, out var secondSequence);
        // Ids taken one after another sort in that order, whichever form they were taken in (other tests may take ids
        // in between, so only the order is checked).
        Assert.True(first.At(first.Ms, firstSequence) < between && between < second.At(second.Ms, secondSequence));

        // An event's id text is its position's value, formatted once, the same in copies made before the first read.
        var e = F.RpcRequestSent("echo", "https://peer");
        var copy = e.WithData(e.Data);
        Assert.Equal(e.Id, copy.Id);
        var id = e.Id;
        var later = F.RpcRequestSent("echo", "https://peer");
        Assert.True(string.CompareOrdinal(id, later.Id) < 0);
    }

    [Fact]
    public void Id_IsTheSameTextOnEveryRead_AndSurvivesCopies()
    {
        var e = F.RpcRequestSent("echo", "https://peer");
        var copy = e.WithTrace("0123456789abcdef0123456789abcdef", "0123456789abcdef");
        var first = e.Id;
        Assert.Equal(first, e.Id);
        Assert.Equal(first, copy.Id);
        Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", first);
        // Ids from the trusted path compare like ids given as text.
        var stored = new SecurityEvent(first, e.Type, e.Timestamp, e.AgentId, e.SpiffeId, e.Severity, e.Outcome, e.TraceId, e.SpanId, e.Actor, e.Data);
        Assert.Equal(stored, e);
        Assert.Equal(stored.GetHashCode(), e.GetHashCode());
    }
}

public class SecurityEventFactoryTraceTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";

    [Fact]
    public void TraceForms_SurviveCopies_AndReadBackAsGiven()
    {
        var f = new SecurityEventFactory("caller", "spiffe://company.org/caller");
        var e = f.RpcRequestSent("echo", "https://peer");
        var data = e.Data;

        // Explicit text, either part alone, none, and a shared trace position: each read back as given, also after WithData.
        var both = e.WithTrace(TraceId, SpanId);
        Assert.Equal((TraceId, SpanId), (both.TraceId, both.SpanId));
        Assert.Equal((TraceId, SpanId), (both.WithData(data).TraceId, both.WithData(data).SpanId));
        var traceOnly = e.WithTrace(TraceId, null);
        Assert.Equal((TraceId, (string?)null), (traceOnly.TraceId, traceOnly.SpanId));
        var spanOnly = e.WithTrace(null, SpanId);
        Assert.Equal(((string?)null, SpanId), (spanOnly.TraceId, spanOnly.SpanId));
        var none = both.WithTrace(null, null);
        Assert.Null(none.TraceId);
        Assert.Null(none.SpanId);
        var position = EventTrace.ContinueOrStart("00-" + TraceId + "-" + SpanId + "-01");
        var shared = none.WithTrace(position).WithData(data);
        Assert.Equal(TraceId, shared.TraceId);
        Assert.Equal(position.SpanId, shared.SpanId);
        Assert.Null(none.WithTrace((EventTrace?)null).TraceId);

        // The public constructor keeps explicit text too, and equality compares the ids whatever their form.
        var stored = new SecurityEvent(shared.Id, shared.Type, shared.Timestamp, shared.AgentId, shared.SpiffeId, shared.Severity,
            shared.Outcome, shared.TraceId, shared.SpanId, shared.Actor, shared.Data);
        Assert.Equal(shared, stored);
        Assert.NotEqual(shared, shared.WithTrace(TraceId, null));
    }

    [Fact]
    public void ExplicitTraceHelpers_MakeTheSameEventAsWithTrace()
    {
        var time = new FixedClock(new DateTimeOffset(2026, 11, 23, 10, 0, 0, 123, TimeSpan.Zero));
        var f = new SecurityEventFactory("caller", "spiffe://company.org/caller", time);
        var sent = f.RpcRequestSent("echo", "https://finance:443", TraceId, SpanId);
        var received = f.RpcResponseReceived("echo", "https://finance:443", 1.23456, TraceId, SpanId);
        var sentCopy = f.RpcRequestSent("echo", "https://finance:443").WithTrace(TraceId, SpanId);
        var receivedCopy = f.RpcResponseReceived("echo", "https://finance:443", 1.23456).WithTrace(TraceId, SpanId);
        // Same everything but the id: compare the canonical JSON with the ids swapped in.
        Assert.Equal(Json(sentCopy, sent.Id), SecurityEventJson.Serialize(sent));
        Assert.Equal(Json(receivedCopy, received.Id), SecurityEventJson.Serialize(received));
        Assert.Equal(TraceId, sent.TraceId);
        Assert.Equal(SpanId, received.SpanId);
        Assert.Null(f.RpcRequestSent("echo", "p", null, null).TraceId);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static string Json(SecurityEvent e, string id) => SecurityEventJson.Serialize(
        new SecurityEvent(id, e.Type, e.Timestamp, e.AgentId, e.SpiffeId, e.Severity, e.Outcome, e.TraceId, e.SpanId, e.Actor, e.Data));
}
