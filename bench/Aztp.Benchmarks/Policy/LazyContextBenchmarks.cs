using System.Net;
using Aztp.Core;
using Aztp.Policy;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Policy;

/// <summary>
/// One secured call's policy step as the server does it: the call's trace position, the request, the Cedar decision,
/// with the context built eagerly (as before the lazy context) or through a <see cref="CedarContextSource"/>. The set
/// is plain RBAC (never reads <c>context</c>) or RBAC plus an ABAC forbid on <c>context.amount</c>; the context is
/// the server's: trustDomain, method, time, traceId, ip, amount.
/// Run: dotnet run -c Release -- --filter '*LazyContextBenchmarks*' (in-process short job).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class LazyContextBenchmarks
{
    private static readonly EntityUid Caller = new("Agent", "spiffe://company.org/caller");
    private static readonly EntityUid Echo = new("Action", "echo");
    private static readonly EntityUid Callee = new("Agent", "spiffe://company.org/finance");
    private static readonly CedarValue TrustDomain = CedarValue.String("company.org");
    private static readonly CedarValue Method = CedarValue.String("/bench.Echo/Echo");
    private static readonly CedarValue Ip = CedarValue.From(IPAddress.Loopback);

    private PolicyStore _store = null!;

    [Params("rbac", "abac")]
    public string Set { get; set; } = "rbac";

    [GlobalSetup]
    public void Setup() => _store = PolicyStore.FromText(Set == "rbac"
        ? """permit(principal == Agent::"spiffe://company.org/caller", action == Action::"echo", resource);"""
        : """
          permit(principal == Agent::"spiffe://company.org/caller", action == Action::"echo", resource);
          forbid(principal, action, resource) when { context.amount > 1000 };
          """);

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public bool Eager()
    {
        var trace = EventTrace.NewTrace();
        return _store.Authorize(new AuthorizationRequest(Caller, Echo, Callee, Build(trace.TraceId))).IsAllowed;
    }

    [Benchmark]
    public bool Lazy()
    {
        var trace = EventTrace.NewTrace();
        return _store.Authorize(new AuthorizationRequest(Caller, Echo, Callee, new Source(trace))).IsAllowed;
    }

    private static CedarContext Build(string traceId) => new CedarContextBuilder(6)
        .Add("trustDomain", TrustDomain)
        .Add("method", Method)
        .Add("time", DateTimeOffset.UtcNow)
        .Add("traceId", traceId)
        .Add("ip", Ip)
        .Add("amount", 25L)
        .Build();

    private sealed class Source(EventTrace trace) : CedarContextSource
    {
        protected override CedarContext BuildContext() => Build(trace.TraceId);
    }
}
