using System.Text.Json;
using Aztp.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aztp.Policy.Tests;

/// <summary>
/// A real Kestrel server on port 0 speaking OPA's data API: <c>POST /v1/data/&lt;path&gt;</c> with <c>{"input": …}</c>,
/// answering <c>{"result": …}</c>. Its "policy" allows the client agent to call calculate-tax when the trust domain is
/// company.org. Paths select behaviours: <c>flaky</c> fails the first calls with 503, <c>slow</c> never answers in time,
/// <c>undefined</c> has no result, <c>rich</c> answers an object with a reason, <c>broken</c> answers 400.
/// </summary>
public sealed class FakeOpaServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _flakyFailures;

    private FakeOpaServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public JsonElement LastInput { get; private set; }

    public int FlakyFailuresLeft { set => Volatile.Write(ref _flakyFailures, value); }

    public static async Task<FakeOpaServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpaServer(app);
        app.MapPost("/v1/data/{**path}", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    private async Task HandleAsync(HttpContext http, string path)
    {
        Interlocked.Increment(ref _requests);
        using var doc = await JsonDocument.ParseAsync(http.Request.Body);
        var input = doc.RootElement.GetProperty("input");
        LastInput = input.Clone();
        switch (path)
        {
            case "flaky/allow" when Interlocked.Decrement(ref _flakyFailures) >= 0:
                http.Response.StatusCode = 503;
                return;
            case "slow/allow":
                await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted).ContinueWith(_ => { });
                return;
            case "undefined":
                await http.Response.WriteAsync("{}");
                return;
            case "broken":
                http.Response.StatusCode = 400;
                await http.Response.WriteAsync("{\"code\":\"invalid_parameter\"}");
                return;
        }
        var allowed = input.GetProperty("principal").GetProperty("id").GetString() == "spiffe://company.org/agent/client"
            && input.GetProperty("action").GetProperty("id").GetString() == "calculate-tax"
            && input.GetProperty("context").TryGetProperty("trustDomain", out var td) && td.GetString() == "company.org";
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(path == "rich"
            ? $"{{\"result\": {{\"allow\": {(allowed ? "true" : "false")}, \"reason\": \"rego says so\", \"policyIds\": [\"tax.rego\"]}}}}"
            : $"{{\"result\": {(allowed ? "true" : "false")}}}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class OpaPolicyEngineTests
{
    private const string Client = "spiffe://company.org/agent/client";
    private const string Finance = "spiffe://company.org/agent/finance";

    private static AuthorizationRequest Call(string caller = Client, string domain = "company.org") =>
        AuthorizationRequest.ForAgentCall(caller, "calculate-tax", Finance, CedarContext.FromValues(new Dictionary<string, object?>
        {
            ["trustDomain"] = domain,
            ["ip"] = System.Net.IPAddress.Parse("10.1.2.3"),
        }));

    // Generous timeouts: the machine running the tests may be loaded; only the slow path uses a short one.
    private static OpaOptions Options(FakeOpaServer opa, string path, int cacheSize = 0) => new()
    {
        BaseAddress = opa.BaseAddress,
        DecisionPath = path,
        // Short only where the test is about the timeout: a cold first request on a loaded CI machine can take seconds.
        Timeout = path.StartsWith("slow", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(10),
        MaxRetries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        CacheSize = cacheSize,
    };

    [Fact]
    public async Task Allow_And_Deny_FollowOpaResult_AndInputCarriesEntitiesAndContext()
    {
        await using var opa = await FakeOpaServer.StartAsync();
        await using var rec = new EventRecorder();
        using var engine = new OpaPolicyEngine(Options(opa, "aztp/authz/allow"), monitor: rec.Monitor);

        var allowed = await engine.AuthorizeAsync(Call());
        Assert.True(allowed.IsAllowed);
        Assert.Equal("Agent", opa.LastInput.GetProperty("principal").GetProperty("type").GetString());
        Assert.Equal("ip", opa.LastInput.GetProperty("context").GetProperty("ip").GetProperty("__extn").GetProperty("fn").GetString());
        Assert.Equal("10.1.2.3", opa.LastInput.GetProperty("context").GetProperty("ip").GetProperty("__extn").GetProperty("arg").GetString());
        var e = await rec.NextAsync(EventActions.Evaluated);
        Assert.True(e.Data["allowed"].AsBoolean());
        Assert.Equal("allowed by OPA (opa:aztp/authz/allow)", e.Data["reason"].AsString());

        Assert.False((await engine.AuthorizeAsync(Call(domain: "evil.org"))).IsAllowed);
    }

    [Fact]
    public async Task ObjectResult_CarriesReasonAndPolicyIds()
    {
        await using var opa = await FakeOpaServer.StartAsync();
        using var engine = new OpaPolicyEngine(Options(opa, "rich"));
        var r = await engine.AuthorizeAsync(Call());
        Assert.True(r.IsAllowed);
        Assert.Equal("rego says so", r.Explain());
        Assert.Equal(["tax.rego"], r.Reasons);
    }

    [Fact]
    public async Task TransientFailures_AreRetried_WithinBound()
    {
        await using var opa = await FakeOpaServer.StartAsync();
        using var engine = new OpaPolicyEngine(Options(opa, "flaky/allow"));
        opa.FlakyFailuresLeft = 2;
        Assert.True((await engine.AuthorizeAsync(Call())).IsAllowed);
        Assert.Equal(3, opa.Requests);

        opa.FlakyFailuresLeft = 3;
        var r = await engine.AuthorizeAsync(Call());
        Assert.False(r.IsAllowed);
        Assert.Contains("503", r.Explain(), StringComparison.Ordinal);
        Assert.Equal(6, opa.Requests);
    }

    [Theory]
    [InlineData("slow/allow", "did not answer within")]
    [InlineData("undefined", "undefined")]
    [InlineData("broken", "400")]
    public async Task Failures_FailClosed(string path, string fragment)
    {
        await using var opa = await FakeOpaServer.StartAsync();
        using var engine = new OpaPolicyEngine(Options(opa, path));
        var r = await engine.AuthorizeAsync(Call());
        Assert.False(r.IsAllowed);
        Assert.Contains(fragment, r.Explain(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_FailsClosed()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }
        using var engine = new OpaPolicyEngine(new OpaOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}"), MaxRetries = 1, RetryDelay = TimeSpan.Zero, CacheSize = 0 });
        var r = await engine.AuthorizeAsync(Call());
        Assert.False(r.IsAllowed);
        Assert.Contains("unreachable", r.Explain(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_ReusesDecisionsForIdenticalInputs()
    {
        await using var opa = await FakeOpaServer.StartAsync();
        using var engine = new OpaPolicyEngine(Options(opa, "aztp/authz/allow", cacheSize: 2));
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await engine.AuthorizeAsync(Call())).IsAllowed);
        }
        Assert.Equal(1, opa.Requests);
        Assert.False((await engine.AuthorizeAsync(Call("spiffe://company.org/agent/other"))).IsAllowed);
        Assert.Equal(2, opa.Requests);
    }

    [Fact]
    public void Options_AreValidatedEagerly()
    {
        Assert.Throws<ArgumentException>(() => new OpaPolicyEngine(new OpaOptions()));
        Assert.Throws<ArgumentException>(() => new OpaPolicyEngine(new OpaOptions { BaseAddress = new Uri("http://x"), Timeout = TimeSpan.Zero }));
    }
}
