using System.Security.Cryptography.X509Certificates;
using Aztp.Grpc.Interop;
using Aztp.Grpc.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aztp.Grpc.Tests;

/// <summary>Status, metadata, deadlines, cancellation, interceptors, errors and limits between Aztp client and server.</summary>
public sealed class CallBehaviourTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AllFourKinds_ExplicitRegistration_RoundTrip()
    {
        await using var host = await ProbeHost.StartAsync(b => b
            .AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(ProbeHost.Echo(request)))
            .AddServerStreamingMethod(ProbeHost.ServerStream, async (request, stream, context) =>
            {
                for (var i = 1; i <= 3; i++)
                {
                    await stream.WriteAsync(new SimpleResponse { Username = i.ToString() }, context.CancellationToken);
                }
            })
            .AddClientStreamingMethod(ProbeHost.ClientStream, async (requests, context) =>
            {
                var total = 0;
                while (await requests.MoveNext(context.CancellationToken))
                {
                    total += requests.Current.ResponseSize;
                }

                return new SimpleResponse { Username = total.ToString() };
            })
            .AddDuplexStreamingMethod(ProbeHost.Duplex, async (requests, responses, context) =>
            {
                while (await requests.MoveNext(context.CancellationToken))
                {
                    await responses.WriteAsync(new SimpleResponse { Username = "echo" + requests.Current.ResponseSize }, context.CancellationToken);
                }
            }));

        var unary = await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 10 });
        Assert.Equal(10, unary.Payload.Body.Length);

        using var serverStream = host.Channel.AsyncServerStreamingCall(ProbeHost.ServerStream, new SimpleRequest());
        var names = new List<string>();
        while (await serverStream.ResponseStream.MoveNext(CancellationToken.None))
        {
            names.Add(serverStream.ResponseStream.Current.Username);
        }

        Assert.Equal(["1", "2", "3"], names);
        Assert.Equal(StatusCode.OK, serverStream.GetStatus().StatusCode);

        using var clientStream = host.Channel.AsyncClientStreamingCall(ProbeHost.ClientStream);
        foreach (var size in new[] { 1, 2, 3 })
        {
            await clientStream.RequestStream.WriteAsync(new SimpleRequest { ResponseSize = size }, CancellationToken.None);
        }

        await clientStream.RequestStream.CompleteAsync();
        Assert.Equal("6", (await clientStream).Username);

        using var duplex = host.Channel.AsyncDuplexStreamingCall(ProbeHost.Duplex);
        await duplex.RequestStream.WriteAsync(new SimpleRequest { ResponseSize = 7 }, CancellationToken.None);
        Assert.True(await duplex.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("echo7", duplex.ResponseStream.Current.Username);
        await duplex.RequestStream.CompleteAsync();
        Assert.False(await duplex.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task Deadline_FiresHandlerToken_AndClientGetsDeadlineExceeded()
    {
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DateTime? seenDeadline = null;
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, async (request, context) =>
        {
            seenDeadline = context.Deadline;
            handlerStarted.TrySetResult();
            using var registration = context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new SimpleResponse();
        }));

        // Long enough that the handler surely starts on a loaded machine (a deadline that passes before the handler
        // runs ends the call DEADLINE_EXCEEDED without it, which is also correct but not what this test is about).
        var deadline = DateTime.UtcNow.AddSeconds(2);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(deadline: deadline)));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(handlerStarted.Task.IsCompleted, "the handler never started");
        await handlerCancelled.Task.WaitAsync(Guard);
        Assert.NotNull(seenDeadline);
        Assert.InRange(seenDeadline!.Value, deadline.AddSeconds(-2), deadline.AddSeconds(2));
    }

    [Fact]
    public async Task Deadline_FarInTheFuture_IsSentAndDoesNotFire()
    {
        DateTime? seen = DateTime.MinValue;
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, (request, context) =>
        {
            seen = context.Deadline;
            return Task.FromResult(new SimpleResponse());
        }));

        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(deadline: DateTime.MaxValue));
        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(deadline: DateTime.UtcNow.AddDays(20)));
        Assert.NotNull(seen);
    }

    [Fact]
    public async Task Deadline_AlreadyPassed_FailsWithoutSending()
    {
        var called = false;
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) =>
        {
            called = true;
            return Task.FromResult(new SimpleResponse());
        }));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1))));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.False(called);
    }

    [Fact]
    public async Task ClientCancellation_ReachesHandler_AndCallEndsCancelled()
    {
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ProbeHost.StartAsync(b => b.AddServerStreamingMethod(ProbeHost.ServerStream, async (request, stream, context) =>
        {
            using var registration = context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            handlerStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }));

        using var cts = new CancellationTokenSource();
        using var call = host.Channel.AsyncServerStreamingCall(ProbeHost.ServerStream, new SimpleRequest(), new CallOptions(cancellationToken: cts.Token));
        await handlerStarted.Task.WaitAsync(Guard);
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await handlerCancelled.Task.WaitAsync(Guard);
    }

    [Fact]
    public async Task Metadata_AsciiAndBinary_TravelBothWays()
    {
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, async (request, context) =>
        {
            await context.WriteResponseHeadersAsync(new Metadata { { "echo-ascii", context.RequestHeaders.GetValue("x-ascii")! } });
            context.ResponseTrailers.Add("echo-bin", context.RequestHeaders.GetValueBytes("x-data-bin")!);
            return new SimpleResponse();
        }));

        byte[] binary = [0, 1, 2, 0xFF, 0xFE, (byte)','];
        using var call = host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(new Metadata { { "X-Ascii", "hello world" }, { "x-data-bin", binary } }));
        await call;
        Assert.Equal("hello world", (await call.ResponseHeadersAsync).GetValue("echo-ascii"));
        Assert.Equal(binary, call.GetTrailers().GetValueBytes("echo-bin"));
    }

    [Fact]
    public async Task GetRequestHeader_ReadsOneHeader_LikeRequestHeaders_BeforeAndAfterTheyAreBuilt()
    {
        string?[] seen = [];
        Exception? binaryKeyError = null;
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, (request, context) =>
        {
            // Read before RequestHeaders exists (straight from the HTTP headers), then after it was built.
            var direct = new[] { context.GetRequestHeader("x-trace"), context.GetRequestHeader("X-Trace"), context.GetRequestHeader("x-absent") };
            binaryKeyError = Record.Exception(() => context.GetRequestHeader("x-data-bin"));
            _ = context.RequestHeaders;
            seen = [.. direct, context.GetRequestHeader("x-trace"), context.RequestHeaders.GetValue("x-trace")];
            return Task.FromResult(new SimpleResponse());
        }));

        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(new Metadata { { "x-trace", "00-abc-01" } }));
        Assert.Equal(new string?[] { "00-abc-01", "00-abc-01", null, "00-abc-01", "00-abc-01" }, seen.AsEnumerable());
        Assert.IsType<ArgumentException>(binaryKeyError);
    }

    [Fact]
    public async Task StatusAndTrailers_FromRpcException_ReachClient_AsTrailersOnly()
    {
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) =>
            throw new RpcException(new Status(StatusCode.NotFound, "no such thing: 100% ☺"), new Metadata { { "reason", "missing" } })));

        using var call = host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("no such thing: 100% ☺", ex.Status.Detail);
        Assert.Equal("missing", ex.Trailers.GetValue("reason"));
        Assert.Equal(StatusCode.NotFound, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlerException_BecomesUnknown_TextOnlyWithDetailedErrors(bool detailed)
    {
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => throw new InvalidOperationException("secret connection string")),
            new GrpcServerOptions { EnableDetailedErrors = detailed });

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest()));
        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.Equal(detailed, ex.Status.Detail.Contains("secret connection string", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Interceptors_RunInOrder_SeeCallFacts_AndCanDenyBeforeHandler()
    {
        var certs = TestCertificates.Shared;
        var order = new List<string>();
        ServerCallContext? seen = null;
        var handlerCalls = 0;
        var options = new GrpcServerOptions();
        options.Interceptors.Add(new RecordingInterceptor("outer", order, null));
        options.Interceptors.Add(new RecordingInterceptor("policy", order, context =>
        {
            seen = context;
            if (context.RequestHeaders.GetValue("x-role") != "admin")
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "denied by policy"));
            }
        }));

        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) =>
            {
                Interlocked.Increment(ref handlerCalls);
                return Task.FromResult(new SimpleResponse());
            }),
            options,
            new GrpcChannelOptions
            {
                ServerNameOverride = TestCertificates.ServerName,
                ServerCertificateValidation = InteropCertificates.TrustedBy(certs.Ca, checkName: true),
                ClientCertificateSelector = _ => certs.Client,
            },
            new GrpcServerTlsOptions
            {
                ServerCertificateSelector = _ => certs.Server,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = InteropCertificates.TrustedBy(certs.Ca, checkName: false),
            });

        var deadline = DateTime.UtcNow.AddMinutes(1);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 3 }, new CallOptions(new Metadata { { "x-role", "guest" } }, deadline)));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(0, handlerCalls);
        Assert.Equal(["outer:before", "policy:before", "outer:after"], order);
        Assert.NotNull(seen);
        Assert.Equal("/aztp.test.Probe/Unary", seen!.Method);
        Assert.StartsWith("ipv4:127.0.0.1:", seen.Peer, StringComparison.Ordinal);
        Assert.Equal(certs.Client.Thumbprint, seen.ClientCertificate?.Thumbprint);
        // The server derives its deadline from grpc-timeout on arrival, so transit time under load moves it later.
        Assert.InRange(seen.Deadline!.Value, deadline.AddSeconds(-5), deadline.AddSeconds(30));
        Assert.Equal(3, ((SimpleRequest)seen.Request!).ResponseSize);

        order.Clear();
        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest(), new CallOptions(new Metadata { { "x-role", "admin" } }));
        Assert.Equal(1, handlerCalls);
        Assert.Equal(["outer:before", "policy:before", "policy:after", "outer:after"], order);
    }

    [Fact]
    public async Task FailingInterceptors_FailClosed_OnBothSides()
    {
        var handlerCalls = 0;
        var serverOptions = new GrpcServerOptions();
        serverOptions.Interceptors.Add(new RecordingInterceptor("broken", [], _ => throw new InvalidOperationException("policy store unavailable")));
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) =>
            {
                Interlocked.Increment(ref handlerCalls);
                return Task.FromResult(new SimpleResponse());
            }),
            serverOptions);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest()));
        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("policy store", ex.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(0, handlerCalls);

        // Client side, against a server without interceptors: the call must not even be sent.
        var channelOptions = new GrpcChannelOptions();
        channelOptions.Interceptors.Add(new ThrowingClientInterceptor());
        await using var open = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) =>
            {
                Interlocked.Increment(ref handlerCalls);
                return Task.FromResult(new SimpleResponse());
            }),
            channelOptions: channelOptions);
        ex = await Assert.ThrowsAsync<RpcException>(async () => await open.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest()));
        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.Equal(0, handlerCalls);
    }

    [Fact]
    public async Task ClientInterceptor_AddsMetadata_AndSeesFinalStatus()
    {
        var interceptor = new TracingClientInterceptor();
        var channelOptions = new GrpcChannelOptions();
        channelOptions.Interceptors.Add(interceptor);
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, context) => Task.FromResult(new SimpleResponse { Username = context.RequestHeaders.GetValue("traceparent") ?? "none" })),
            channelOptions: channelOptions);

        var response = await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        Assert.Equal(TracingClientInterceptor.TraceParent, response.Username);
        Assert.Equal(StatusCode.OK, interceptor.LastStatus?.StatusCode);
    }

    [Fact]
    public async Task ClientCallContext_StartTimestamp_IsTakenBeforeTheStartCallback_AndTheSameAtCompletion()
    {
        var interceptor = new TimingClientInterceptor();
        var channelOptions = new GrpcChannelOptions();
        channelOptions.Interceptors.Add(interceptor);
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(ProbeHost.Echo(request))),
            channelOptions: channelOptions);

        var before = System.Diagnostics.Stopwatch.GetTimestamp();
        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        var after = System.Diagnostics.Stopwatch.GetTimestamp();

        Assert.InRange(interceptor.AtStart, before, interceptor.StartCallbackRan);
        Assert.Equal(interceptor.AtStart, interceptor.AtCompletion);
        Assert.InRange(interceptor.AtCompletion, before, after);
    }

    private sealed class TimingClientInterceptor : ClientInterceptor
    {
        public long AtStart { get; private set; }

        public long StartCallbackRan { get; private set; }

        public long AtCompletion { get; private set; }

        public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
        {
            StartCallbackRan = System.Diagnostics.Stopwatch.GetTimestamp();
            AtStart = context.StartTimestamp;
            return ValueTask.CompletedTask;
        }

        public override void OnCallCompleted(ClientCallContext context, Status status) => AtCompletion = context.StartTimestamp;
    }

    [Fact]
    public async Task ClientInterceptorState_IsPerInterceptorAndPerCall_FromStartToCompletion()
    {
        var first = new StatefulClientInterceptor("first");
        var second = new StatefulClientInterceptor("second");
        var channelOptions = new GrpcChannelOptions();
        channelOptions.Interceptors.Add(first);
        channelOptions.Interceptors.Add(second);
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(ProbeHost.Echo(request))),
            channelOptions: channelOptions);

        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());

        // Each interceptor saw only its own state, set for this call (a fresh call starts empty).
        Assert.Equal(["first#1", "first#2"], first.Completed);
        Assert.Equal(["second#1", "second#2"], second.Completed);
        Assert.All(first.SeenAtStart.Concat(second.SeenAtStart), Assert.Null);
        Assert.Throws<ArgumentException>(() => first.LastContext!.GetState(new StatefulClientInterceptor("stranger")));
        Assert.Throws<ArgumentNullException>(() => first.LastContext!.SetState(null!, 1));
    }

    private sealed class StatefulClientInterceptor(string name) : ClientInterceptor
    {
        private int _calls;

        public List<string> Completed { get; } = [];

        public List<object?> SeenAtStart { get; } = [];

        public ClientCallContext? LastContext { get; private set; }

        public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
        {
            SeenAtStart.Add(context.GetState(this));
            context.SetState(this, name + "#" + Interlocked.Increment(ref _calls));
            return ValueTask.CompletedTask;
        }

        public override void OnCallCompleted(ClientCallContext context, Status status)
        {
            LastContext = context;
            Completed.Add((string)context.GetState(this)!);
        }
    }

    [Fact]
    public async Task MaxMessageSize_EnforcedInBothDirections_AsResourceExhausted()
    {
        var channelOptions = new GrpcChannelOptions { MaxReceiveMessageSize = 1024 };
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(ProbeHost.Echo(request))),
            new GrpcServerOptions { MaxReceiveMessageSize = 1024 },
            channelOptions);

        var tooBigRequest = new SimpleRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[2048]) } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, tooBigRequest));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 2048 }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        using var limited = GrpcChannel.ForAddress($"http://127.0.0.1:{host.Server.Port}", new GrpcChannelOptions { MaxSendMessageSize = 100 });
        ex = await Assert.ThrowsAsync<RpcException>(async () => await limited.AsyncUnaryCall(ProbeHost.Unary, tooBigRequest));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // The server keeps serving.
        Assert.Equal(10, (await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 10 })).Payload.Body.Length);
    }

    [Fact]
    public async Task Gzip_RequestAndResponse_AreCompressedAndDecoded()
    {
        string? requestEncoding = null;
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, context) =>
            {
                requestEncoding = context.RequestHeaders.GetValue("grpc-encoding");
                return Task.FromResult(ProbeHost.Echo(request));
            }),
            new GrpcServerOptions { ResponseCompression = "gzip" },
            new GrpcChannelOptions { RequestCompression = "gzip" });

        var response = await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 100_000, Payload = new Payload { Body = ByteString.CopyFrom(new byte[50_000]) } });
        Assert.Equal(100_000, response.Payload.Body.Length);
        Assert.Equal("gzip", requestEncoding);
    }

    [Fact]
    public async Task ThousandCallsInFlight_OnOneChannel_AllComplete()
    {
        const int calls = 1000;
        var entered = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, async (request, context) =>
        {
            if (Interlocked.Increment(ref entered) == calls)
            {
                allIn.TrySetResult();
            }

            // Every call stays open until all 1,000 are in flight at once.
            await allIn.Task.WaitAsync(context.CancellationToken);
            return new SimpleResponse { Username = request.ResponseSize.ToString() };
        }));

        var tasks = new Task<SimpleResponse>[calls];
        for (var i = 0; i < calls; i++)
        {
            tasks[i] = host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = i }).ResponseAsync;
        }

        var responses = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        for (var i = 0; i < calls; i++)
        {
            Assert.Equal(i.ToString(), responses[i].Username);
        }
    }

    [Fact]
    public async Task UnixDomainSocket_CarriesCalls()
    {
        var path = Path.Combine(Path.GetTempPath(), "aztp-grpc-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        try
        {
            await using var host = await ProbeHost.StartAsync(
                b => b.AddUnaryMethod(ProbeHost.Unary, (request, context) => Task.FromResult(ProbeHost.Echo(request))),
                channelOptions: new GrpcChannelOptions { UnixDomainSocketPath = path },
                unixSocket: path);
            Assert.Equal(5, (await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 5 })).Payload.Body.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ServerCertificateSelector_IsAskedPerHandshake_SoRotationTakesEffect()
    {
        var certs = TestCertificates.Shared;
        var selections = 0;
        var seenByClients = new List<string>();
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(new SimpleResponse())),
            tls: new GrpcServerTlsOptions
            {
                ServerCertificateSelector = _ =>
                {
                    Interlocked.Increment(ref selections);
                    return certs.Server;
                },
            },
            channelOptions: new GrpcChannelOptions
            {
                ServerNameOverride = TestCertificates.ServerName,
                ServerCertificateValidation = InteropCertificates.TrustedBy(certs.Ca, checkName: true),
            });

        await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        using var second = GrpcChannel.ForAddress($"https://127.0.0.1:{host.Server.Port}", new GrpcChannelOptions
        {
            ServerNameOverride = TestCertificates.ServerName,
            ServerCertificateValidation = (cert, chain, errors) =>
            {
                lock (seenByClients)
                {
                    seenByClients.Add(cert.Thumbprint);
                }

                return InteropCertificates.TrustedBy(certs.Ca, checkName: true)(cert, chain, errors);
            },
        });
        await second.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest());
        Assert.True(selections >= 2, $"selector called {selections} times");
        Assert.Equal([certs.Server.Thumbprint], seenByClients);
    }

    [Fact]
    public async Task ServerCertificate_FromAnotherCa_IsRejectedAsUnavailable()
    {
        var certs = TestCertificates.Shared;
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(new SimpleResponse())),
            tls: new GrpcServerTlsOptions { ServerCertificate = certs.Server },
            channelOptions: new GrpcChannelOptions
            {
                ServerNameOverride = TestCertificates.ServerName,
                ServerCertificateValidation = InteropCertificates.TrustedBy(certs.OtherCa, checkName: true),
            });

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest()));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task UnknownMethodAndService_AreUnimplemented()
    {
        await using var host = await ProbeHost.StartAsync(b => b.AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(new SimpleResponse())));
        var otherMethod = new Method<SimpleRequest, SimpleResponse>(MethodType.Unary, ProbeHost.ServiceName, "Nope", SimpleRequest.Parser, SimpleResponse.Parser);
        var otherService = new Method<SimpleRequest, SimpleResponse>(MethodType.Unary, "aztp.test.Missing", "Unary", SimpleRequest.Parser, SimpleResponse.Parser);
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(otherMethod, new SimpleRequest()))).StatusCode);
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(async () => await host.Channel.AsyncUnaryCall(otherService, new SimpleRequest()))).StatusCode);
    }

    private sealed class RecordingInterceptor(string name, List<string> order, Action<ServerCallContext>? check) : ServerInterceptor
    {
        public override async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> continuation)
        {
            order.Add(name + ":before");
            check?.Invoke(context);
            try
            {
                await continuation(context);
            }
            finally
            {
                order.Add(name + ":after");
            }
        }
    }

    private sealed class ThrowingClientInterceptor : ClientInterceptor
    {
        public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("token source unavailable");
    }

    private sealed class TracingClientInterceptor : ClientInterceptor
    {
        public const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        public Status? LastStatus { get; private set; }

        public override ValueTask OnCallStartingAsync(ClientCallContext context, CancellationToken cancellationToken)
        {
            context.RequestHeaders.Add("traceparent", TraceParent);
            return ValueTask.CompletedTask;
        }

        public override void OnCallCompleted(ClientCallContext context, Status status) => LastStatus = status;
    }

    [Fact]
    public async Task MaxConcurrentStreamsPerConnection_BoundsTheCallsOneConnectionHoldsOpen()
    {
        var inFlight = 0;
        var most = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ProbeHost.StartAsync(
            b => b.AddUnaryMethod(ProbeHost.Unary, async (request, context) =>
            {
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref most, now);
                if (now == 2)
                {
                    twoRunning.TrySetResult();
                }
                await release.Task.WaitAsync(context.CancellationToken);
                Interlocked.Decrement(ref inFlight);
                return ProbeHost.Echo(request);
            }),
            channelOptions: new GrpcChannelOptions { EnableMultipleHttp2Connections = false },
            configureServer: s => s.MaxConcurrentStreamsPerConnection = 2);

        var calls = Enumerable.Range(0, 6).Select(_ => host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 1 }).ResponseAsync).ToArray();
        await twoRunning.Task.WaitAsync(Guard);
        await Task.Delay(300); // room for a third handler to start, were the limit not enforced
        Assert.Equal(2, Volatile.Read(ref inFlight));
        release.SetResult();
        var responses = await Task.WhenAll(calls).WaitAsync(Guard);
        Assert.All(responses, r => Assert.Equal(1, r.Payload.Body.Length));
        Assert.Equal(2, most);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65_537)]
    public async Task MaxConcurrentStreamsPerConnection_OutOfRange_IsRejected(int value)
    {
        await using var server = new GrpcServer();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => server.MaxConcurrentStreamsPerConnection = value);
        Assert.Contains("MaxConcurrentStreamsPerConnection", ex.Message, StringComparison.Ordinal);
        Assert.Equal(100, server.MaxConcurrentStreamsPerConnection);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }
            seen = previous;
        }
    }
}
