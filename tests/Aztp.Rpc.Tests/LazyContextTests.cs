using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Policy;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

/// <summary>
/// The server builds a call's Cedar context (and runs the method's expose callback) only when the policies deciding
/// the call can read it; when they can, the context is exactly the documented one.
/// </summary>
public sealed class LazyContextTests
{
    private static readonly SpiffeAuthorizer Finance = SpiffeAuthorizer.Id("spiffe://company.org/finance");

    private const string AmountRule = """
        @id("small-amounts")
        permit(principal == Agent::"spiffe://company.org/caller", action == Action::"calculate-tax", resource)
        when { context.amount < 10000 && context.trustDomain == "company.org" };
        """;

    /// <summary>The finance agent with an expose callback that counts its runs (and throws when told to).</summary>
    internal sealed class CountingFinance(TestWorld world, bool throws = false)
    {
        private int _exposed;

        public int Exposed => Volatile.Read(ref _exposed);

        public AgentDefinition Definition() =>
            new AgentDefinition("finance").AddService(FinanceReflection.Descriptor.Services[0], world.Finance, s => s
                .Method<TaxRequest>("CalculateTax", "calculate-tax", r =>
                {
                    Interlocked.Increment(ref _exposed);
                    return throws ? throw new InvalidOperationException("expose failed") : [new("amount", r.Amount)];
                }));
    }

    internal static async Task<(SecuredAgent Finance, ConcurrentQueue<SecurityEvent> Events, GrpcChannel Channel)> ServeAsync(
        TestWorld world, CountingFinance finance, Action<AztpOptions>? configure = null)
    {
        var (agent, events) = await world.ConnectAsync(finance.Definition(), configure: configure);
        var address = await agent.StartServerAsync("https://127.0.0.1:0");
        var (caller, _) = await world.ConnectAsync(new AgentDefinition("caller"));
        return (agent, events, caller.CreateChannel(address.ToString(), Finance));
    }

    [Fact]
    public async Task ContextFreePolicy_AllowsTheCall_WithoutRunningTheExposeCallback()
    {
        await using var world = new TestWorld();
        var finance = new CountingFinance(world);
        var (agent, events, channel) = await ServeAsync(world, finance);

        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(200, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1000 })).Tax);
        }
        Assert.Equal(3, world.Finance.Calls);
        Assert.Equal(0, finance.Exposed);
        await agent.Monitor.FlushAsync();
        Assert.All(events.Where(e => e.Type == SecurityEventType.Policy && e.Data.Action == EventActions.Evaluated),
            e => Assert.Equal("callers may calculate tax", e.Data.GetString("reason")));
    }

    public static TheoryData<long, bool> Amounts => new() { { 9_999, true }, { 10_000, false } };

    [Theory]
    [MemberData(nameof(Amounts))]
    public async Task ContextReadingPolicy_RunsTheExposeCallbackOncePerCall_AndEnforcesIt(long amount, bool allowed)
    {
        await using var world = new TestWorld(AmountRule);
        var finance = new CountingFinance(world);
        var (_, _, channel) = await ServeAsync(world, finance);

        var call = channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = amount });
        if (allowed)
        {
            Assert.Equal(amount / 5, (await call).Tax);
        }
        else
        {
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await call)).StatusCode);
        }
        Assert.Equal(1, finance.Exposed);
        Assert.Equal(allowed ? 1 : 0, world.Finance.Calls);
    }

    [Fact]
    public async Task ThrowingExposeCallback_DeniesWithTheEngineErrorEvent_WhenThePolicyReadsContext_AndIsNeverRunOtherwise()
    {
        await using (var world = new TestWorld(AmountRule))
        {
            var finance = new CountingFinance(world, throws: true);
            var (agent, events, channel) = await ServeAsync(world, finance);

            var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 1 }));
            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
            Assert.Equal(0, world.Finance.Calls);
            Assert.Equal(1, finance.Exposed);
            await agent.Monitor.FlushAsync();
            var evaluated = SecureCallTests.Single(events, SecurityEventType.Policy, EventActions.Evaluated);
            Assert.Equal(false, evaluated.Data.GetBoolean("allowed"));
            Assert.Equal("policy evaluation error (InvalidOperationException); denied", evaluated.Data.GetString("reason"));
            Assert.Equal("spiffe://company.org/caller", evaluated.Data.GetString("principal"));
            Assert.Equal("calculate-tax", evaluated.Data.GetString("method"));
        }

        await using (var world = new TestWorld())
        {
            var finance = new CountingFinance(world, throws: true);
            var (_, _, channel) = await ServeAsync(world, finance);
            Assert.Equal(2, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 10 })).Tax);
            Assert.Equal(0, finance.Exposed);
        }
    }

    /// <summary>An engine of its own (not the Cedar store): it reads the context, so the source must build it.</summary>
    internal sealed class CapturingEngine : IPolicyEngine
    {
        public ConcurrentQueue<CedarContext> Contexts { get; } = new();

        public ValueTask<AuthorizationResponse> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken = default)
        {
            Contexts.Enqueue(request.Context);
            return ValueTask.FromResult(new AuthorizationResponse(Decision.Allow, ["captured"], "captured"));
        }
    }

    [Fact]
    public async Task CustomEngine_GetsTheDocumentedContext_FieldsInOrderWithTheCallsValues()
    {
        await using var world = new TestWorld();
        var finance = new CountingFinance(world);
        var engine = new CapturingEngine();
        var (agent, events, channel) = await ServeAsync(world, finance, o => o.Policy.Engine = engine);

        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        Assert.Equal(5, (await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 25 })).Tax);
        var after = DateTimeOffset.UtcNow.AddMilliseconds(1);
        Assert.Equal(1, finance.Exposed);
        await agent.Monitor.FlushAsync();

        var context = Assert.Single(engine.Contexts);
        Assert.Equal(["trustDomain", "method", "time", "traceId", "ip", "amount"], context.Keys);
        var traceId = SecureCallTests.Single(events, SecurityEventType.Rpc, EventActions.RequestReceived).TraceId;
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        AssertContext(context, $"""
            context.trustDomain == "company.org" && context.method == "{TestWorld.CalculateTax.FullName}"
            && context.traceId == "{traceId}" && context.ip == ip("127.0.0.1") && context.amount == 25
            && context.time >= datetime("{Iso(before)}") && context.time <= datetime("{Iso(after)}")
            """);
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static void AssertContext(CedarContext context, string condition)
    {
        var check = PolicySet.Parse($"permit(principal, action, resource) when {{ {condition} }};");
        var response = CedarAuthorizer.Authorize(check, EntityStore.Empty, new AuthorizationRequest(
            new EntityUid("Agent", "a"), new EntityUid("Action", "b"), new EntityUid("Agent", "c"), context));
        Assert.Empty(response.Errors);
        Assert.True(response.IsAllowed, $"context does not satisfy: {condition}");
    }
}

/// <summary>The server activity's trace reaches the policy context (a listener is global: run with the tracing tests).</summary>
[Collection(TracingCollection.Name)]
public sealed class LazyContextTracingTests
{
    [Fact]
    public async Task WithATracingListener_TheContextTraceIdIsTheServerActivitysTrace()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Aztp.Rpc",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var world = new TestWorld();
        var engine = new LazyContextTests.CapturingEngine();
        var (_, _, channel) = await LazyContextTests.ServeAsync(world, new LazyContextTests.CountingFinance(world), o => o.Policy.Engine = engine);

        await channel.AsyncUnaryCall(TestWorld.CalculateTax, new TaxRequest { Amount = 25 });
        Assert.NotNull(world.Finance.LastActivityTraceId);
        LazyContextTests.AssertContext(Assert.Single(engine.Contexts), $"context.traceId == \"{world.Finance.LastActivityTraceId}\"");
    }
}
