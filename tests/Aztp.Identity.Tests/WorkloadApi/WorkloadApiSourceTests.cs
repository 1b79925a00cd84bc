using System.Text.Json.Nodes;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity.WorkloadApi;
using Aztp.Identity.WorkloadApi.Internal;
using Aztp.Identity.WorkloadApi.Protos;

namespace Aztp.Identity.Tests.WorkloadApi;

public sealed class WorkloadApiSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TrustDomain _td = TrustDomain.Parse("company.org");
    private readonly List<SecurityEvent> _events = [];
    private readonly List<(Func<SecurityEvent, bool> Match, TaskCompletionSource<SecurityEvent> Done)> _waiters = [];
    private DevCertificateAuthority _ca = null!;
    private SecurityMonitor _monitor = null!;
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync()
    {
        _ca = DevCertificateAuthority.Create(_td);
        _monitor = new SecurityMonitor("finance", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, _) =>
            {
                lock (_events)
                {
                    _events.Add(e);
                    foreach (var w in _waiters.Where(w => w.Match(e)).ToList())
                    {
                        _waiters.Remove(w);
                        w.Done.TrySetResult(e);
                    }
                }

                return ValueTask.CompletedTask;
            },
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            await d.DisposeAsync();
        }

        await _monitor.DisposeAsync();
        _ca.Dispose();
    }

    private static string Action(SecurityEvent e) => e.Data.TryGetValue("action", out var v) ? v.AsString() ?? "" : "";

    private Task<SecurityEvent> EventAsync(string action)
    {
        lock (_events)
        {
            if (_events.FirstOrDefault(e => Action(e) == action) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var tcs = new TaskCompletionSource<SecurityEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((e => Action(e) == action, tcs));
            return tcs.Task.WaitAsync(Wait);
        }
    }

    private JsonObject StateFor(params string[] agents) =>
        WorkloadState.Of([.. agents.Select(a => WorkloadState.Entry(_ca.IssueSvid(_td.Id(a)), _ca.ToBundle()))]);

    private async Task<WorkloadApiServer> ServerAsync(JsonObject state)
    {
        var server = await WorkloadApiServer.StartAsync(state);
        _owned.Add(server);
        return server;
    }

    private async Task<WorkloadApiSource> OpenAsync(WorkloadApiServer server, Action<WorkloadApiSourceOptions>? configure = null)
    {
        var options = new WorkloadApiSourceOptions
        {
            Client = new WorkloadApiClientOptions { Address = server.Address },
            InitialFetchTimeout = TimeSpan.FromSeconds(20),
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(400),
            Monitor = _monitor,
        };
        configure?.Invoke(options);
        var source = await WorkloadApiSource.OpenAsync(options);
        _owned.Add(source);
        return source;
    }

    [WorkloadFact]
    public async Task Open_ServesFirstSvidAndOwnBundle()
    {
        var server = await ServerAsync(StateFor("finance"));
        var source = await OpenAsync(server);

        var svid = source.GetX509Svid();
        Assert.Equal("spiffe://company.org/finance", svid.Id.ToString());
        Assert.True(svid.Certificate.HasPrivateKey);
        Assert.True(source.TryGetBundle(_td, out var bundle));
        Assert.Equal(_ca.Certificate.Thumbprint, Assert.Single(bundle.X509Authorities).Thumbprint);
        var setup = await EventAsync(EventActions.SetupComplete);
        Assert.Equal("workload_api", setup.Data["source"].AsString());
        // The served SVID chains to the served bundle.
        var result = new X509SvidValidator(source).Validate(svid.Certificate, svid.Intermediates);
        Assert.True(result.IsValid, result.ToString());
    }

    [WorkloadFact]
    public async Task Open_PicksSvidBySpiffeId_AndFailsTypedWhenNotIssued()
    {
        var server = await ServerAsync(StateFor("finance", "payroll"));
        var payroll = await OpenAsync(server, o => o.SpiffeId = SpiffeId.Parse("spiffe://company.org/payroll"));
        Assert.Equal("spiffe://company.org/payroll", payroll.GetX509Svid().Id.ToString());

        var e = await Assert.ThrowsAsync<WorkloadApiException>(() => OpenAsync(server, o => o.SpiffeId = SpiffeId.Parse("spiffe://company.org/marketing")));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("marketing", e.Message, StringComparison.Ordinal);
    }

    [WorkloadFact]
    public async Task Rotation_PushedMidStream_RaisesSvidChangedAndServesNewSvid()
    {
        var server = await ServerAsync(StateFor("finance"));
        var source = await OpenAsync(server);
        var before = source.GetX509Svid().SerialNumber;
        var changed = new TaskCompletionSource<X509Svid>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SvidChanged += (_, e) => changed.TrySetResult(e.Svid);

        server.WriteState(StateFor("finance"));
        var rotated = await changed.Task.WaitAsync(Wait);

        Assert.NotEqual(before, rotated.SerialNumber);
        Assert.Equal(rotated.SerialNumber, source.GetX509Svid().SerialNumber);
        var evt = await EventAsync(EventActions.Rotated);
        Assert.Equal(rotated.SerialNumber, evt.Data["serial"].AsString());
    }

    [WorkloadFact]
    public async Task ServerRestart_KeepsServingLastSvid_ThenReconnects()
    {
        var server = await ServerAsync(StateFor("finance"));
        var source = await OpenAsync(server);
        var original = source.GetX509Svid();

        await server.StopAsync();
        var disconnected = await EventAsync(WorkloadApiSource.SourceDisconnectedAction);
        Assert.Equal(EventSeverity.Warning, disconnected.Severity);
        Assert.Equal(EventOutcome.Failure, disconnected.Outcome);
        Assert.True(source.IsDisconnected);
        // Callers see no error while the old SVID is valid.
        Assert.Same(original, source.GetX509Svid());

        var changed = new TaskCompletionSource<X509Svid>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SvidChanged += (_, e) => changed.TrySetResult(e.Svid);
        server.WriteState(StateFor("finance"));
        await server.RestartAsync();

        var reconnected = await EventAsync(WorkloadApiSource.SourceReconnectedAction);
        Assert.Equal(EventOutcome.Success, reconnected.Outcome);
        var rotated = await changed.Task.WaitAsync(Wait);
        Assert.NotEqual(original.SerialNumber, rotated.SerialNumber);
        Assert.False(source.IsDisconnected);
    }

    [WorkloadFact]
    public async Task Request_WithoutSecurityHeader_IsRefused()
    {
        var server = await ServerAsync(StateFor("finance"));
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { UnixDomainSocketPath = server.SocketPath });

        using var bare = channel.AsyncServerStreamingCall(WorkloadApiMethods.FetchX509Svid, new X509SVIDRequest());
        var e = await Assert.ThrowsAsync<RpcException>(() => bare.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.Status.StatusCode);
        Assert.Contains("security header", e.Status.Detail, StringComparison.Ordinal);

        // The same call with the header is served.
        using var ok = channel.AsyncServerStreamingCall(WorkloadApiMethods.FetchX509Svid, new X509SVIDRequest(),
            new CallOptions(new Metadata { { "workload.spiffe.io", "true" } }));
        Assert.True(await ok.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("spiffe://company.org/finance", ok.ResponseStream.Current.Svids[0].SpiffeId);
    }

    [WorkloadFact]
    public async Task NoIdentityIssued_IsATypedError()
    {
        var state = StateFor("finance");
        state["deny"] = true;
        var server = await ServerAsync(state);

        var e = await Assert.ThrowsAsync<WorkloadApiException>(() => OpenAsync(server));
        Assert.True(e.IsNoIdentityIssued);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("no identity issued", e.Message, StringComparison.Ordinal);
        Assert.Contains("spire-server entry create", e.Message, StringComparison.Ordinal);
    }

    [WorkloadFact]
    public async Task BundleUpdate_AddsFederatedTrustDomainAtRunTime()
    {
        var server = await ServerAsync(StateFor("finance"));
        var source = await OpenAsync(server);
        var partnerTd = TrustDomain.Parse("partner.net");
        Assert.False(source.TryGetBundle(partnerTd, out _));
        var generation = source.Generation;
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.BundlesChanged += (_, _) => { if (source.TryGetBundle(partnerTd, out _)) changed.TrySetResult(); };

        using var partner = DevCertificateAuthority.Create(partnerTd);
        var state = StateFor("finance");
        state["federated"] = new JsonObject { ["spiffe://partner.net"] = WorkloadState.Der(partner.ToBundle()) };
        server.WriteState(state);
        await changed.Task.WaitAsync(Wait);

        Assert.True(source.Generation > generation);
        Assert.True(source.TryGetBundle(partnerTd, out var bundle));
        Assert.Equal(partner.Certificate.Thumbprint, Assert.Single(bundle.X509Authorities).Thumbprint);
        // A partner workload's SVID now validates against the federated bundle.
        using var peer = partner.IssueSvid(partnerTd.Id("payments"));
        var result = new X509SvidValidator(source).Validate(peer.Certificate, peer.Intermediates);
        Assert.True(result.IsValid, result.ToString());
    }

    [WorkloadFact]
    public async Task JwtSvid_FetchAndValidate_LocallyAndByTheAgent()
    {
        using var key = JwtSigningKey.Generate(JwtAlgorithm.ES256);
        const string audience = "spiffe://company.org/billing";
        var token = JwtSvid.Mint(_td.Id("finance"), [audience], DateTimeOffset.UtcNow.AddMinutes(5), key, DateTimeOffset.UtcNow).Token;
        var state = StateFor("finance");
        state["jwt_tokens"] = new JsonObject { [audience] = new JsonArray(new JsonObject { ["spiffe_id"] = "spiffe://company.org/finance", ["svid"] = token }) };
        state["jwt_bundles"] = new JsonObject { ["spiffe://company.org"] = new TrustBundle(_td, jwtAuthorities: [key.ToAuthority()]).ToSpiffeBundleJson() };
        state["valid_tokens"] = new JsonArray(token);
        var server = await ServerAsync(state);
        var source = await OpenAsync(server);

        var svid = await source.FetchJwtSvidAsync([audience]);
        Assert.Equal(token, svid.Token);
        Assert.Equal("spiffe://company.org/finance", svid.Id.ToString());
        Assert.Equal([audience], svid.Audience);
        Assert.Equal(key.KeyId, svid.KeyId);

        // Local validation uses the JWT bundle the source follows.
        var deadline = DateTime.UtcNow + Wait;
        while (!(source.TryGetBundle(_td, out var b) && b.JwtAuthorities.Count > 0) && DateTime.UtcNow < deadline)
        {
            var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            source.BundlesChanged += (_, _) => got.TrySetResult();
            if (source.TryGetBundle(_td, out b) && b.JwtAuthorities.Count > 0) break;
            await got.Task.WaitAsync(Wait);
        }

        var local = new JwtSvidValidator(source).Validate(token, audience);
        Assert.True(local.IsValid, local.ToString());
        Assert.False(new JwtSvidValidator(source).Validate(token, "spiffe://company.org/other").IsValid);

        await using var client = new WorkloadApiClient(new WorkloadApiClientOptions { Address = server.Address });
        var validated = await client.ValidateJwtSvidAsync(token, audience);
        Assert.Equal("spiffe://company.org/finance", validated.SpiffeId.ToString());
        Assert.Equal("spiffe://company.org/finance", validated.Claims["sub"]!.GetValue<string>());
        var refused = await Assert.ThrowsAsync<WorkloadApiException>(() => client.ValidateJwtSvidAsync(token + "x", audience));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }

    [WorkloadFact]
    public async Task Client_StreamsEveryUpdate()
    {
        var server = await ServerAsync(StateFor("finance"));
        await using var client = new WorkloadApiClient(new WorkloadApiClientOptions { Address = server.Address });
        using var cts = new CancellationTokenSource(Wait);
        var serials = new List<string>();
        await foreach (var context in client.WatchX509ContextsAsync(cts.Token))
        {
            serials.Add(context.Svids[0].SerialNumber);
            if (serials.Count == 1)
            {
                server.WriteState(StateFor("finance"));
            }
            else
            {
                break;
            }
        }

        Assert.Equal(2, serials.Distinct().Count());
    }

    [WorkloadFact]
    public async Task Expiry_EmitsExpiringOnce_ThenFailsClosedAfterNotAfter()
    {
        var server = await ServerAsync(StateFor("finance"));
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        var source = await OpenAsync(server, o =>
        {
            o.TimeProvider = clock;
            o.ExpiryCheckInterval = TimeSpan.FromMilliseconds(50);
            o.ExpiringThreshold = TimeSpan.FromHours(1);
        });
        var svid = source.GetX509Svid();

        clock.Now = svid.NotAfter - TimeSpan.FromMinutes(30);
        var expiring = await EventAsync(EventActions.Expiring);
        Assert.Equal(EventSeverity.Warning, expiring.Severity);
        Assert.Same(svid, source.GetX509Svid()); // still valid: served

        clock.Now = svid.NotAfter + TimeSpan.FromSeconds(1);
        var expired = await EventAsync(EventActions.Expired);
        Assert.Equal(EventSeverity.Critical, expired.Severity);
        var e = Assert.Throws<WorkloadApiException>(() => source.GetX509Svid());
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
        lock (_events)
        {
            Assert.Single(_events, x => Action(x) == EventActions.Expiring);
        }
    }

    [WorkloadFact]
    public async Task Client_X509BundlesStream_FollowsFederationChanges()
    {
        var server = await ServerAsync(StateFor("finance"));
        await using var client = new WorkloadApiClient(new WorkloadApiClientOptions { Address = server.Address });
        using var cts = new CancellationTokenSource(Wait);
        using var partner = DevCertificateAuthority.Create(TrustDomain.Parse("partner.net"));
        var seen = new List<string[]>();
        await foreach (var bundles in client.WatchX509BundlesAsync(cts.Token))
        {
            seen.Add([.. bundles.Select(b => b.TrustDomain.Name).Order(StringComparer.Ordinal)]);
            if (seen.Count == 1)
            {
                var state = StateFor("finance");
                state["federated"] = new JsonObject { ["spiffe://partner.net"] = WorkloadState.Der(partner.ToBundle()) };
                server.WriteState(state);
            }
            else if (seen[^1].Length == 2)
            {
                break;
            }
        }

        Assert.Equal(["company.org"], seen[0]);
        Assert.Equal(["company.org", "partner.net"], seen[^1]);
    }

    [Fact]
    public async Task Open_UnreachableAgent_TimesOutWithTypedError()
    {
        var path = Path.Combine(Path.GetTempPath(), "aztp-missing-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        var e = await Assert.ThrowsAsync<WorkloadApiException>(() => WorkloadApiSource.OpenAsync(new WorkloadApiSourceOptions
        {
            Client = new WorkloadApiClientOptions { Address = "unix://" + path },
            InitialFetchTimeout = TimeSpan.FromMilliseconds(600),
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
        }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
