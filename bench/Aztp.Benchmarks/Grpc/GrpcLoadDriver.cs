using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Aztp.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace Aztp.Benchmarks.Grpc;

/// <summary>
/// Load driver for Aztp.Grpc: unary calls/s with p50/p99 latency at 1 and 64 concurrent callers, plaintext and mutual
/// TLS, beside raw Kestrel + HttpClient HTTP/2 POSTs of the same bytes measured in the same run (the ceiling of the
/// stack); plus server-streaming messages/s.
/// Run: dotnet run -c Release --project bench/Aztp.Benchmarks -- grpc-load [--duration S] [--warmup S] [--payload N]
/// </summary>
public static class GrpcLoadDriver
{
    private const string ServiceName = "aztp.bench.Echo";
    private static readonly Method<BytesValue, BytesValue> Unary = new(MethodType.Unary, ServiceName, "Unary", BytesValue.Parser, BytesValue.Parser);
    private static readonly Method<Int32Value, BytesValue> Stream = new(MethodType.ServerStreaming, ServiceName, "Stream", Int32Value.Parser, BytesValue.Parser);

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(Option(args, "--duration", 10));
        var warmup = TimeSpan.FromSeconds(Option(args, "--warmup", 3));
        var payloadSize = Option(args, "--payload", 64);
        var payload = new BytesValue { Value = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(payloadSize)) };
        using var certs = BenchCertificates.Create();

        var rows = new List<string>();
        Console.WriteLine($"# unary, {payloadSize}-byte payload, warm-up {warmup.TotalSeconds:0} s, measured {duration.TotalSeconds:0} s per row, client and server in one process");
        foreach (var tls in new[] { false, true })
        {
            await using var grpc = await StartGrpcServerAsync(tls ? certs : null);
            await using var raw = await StartRawServerAsync(tls ? certs : null);
            using var channel = GrpcChannel.ForAddress($"{(tls ? "https" : "http")}://127.0.0.1:{grpc.Port}", ChannelOptions(tls ? certs : null));
            using var http = new HttpClient(RawHandler(tls ? certs : null));
            var rawUri = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{raw.Port}/{ServiceName}/Unary");
            var frame = Frame(payload);

            var grpcCall = async () =>
            {
                var response = await channel.AsyncUnaryCall(Unary, payload);
                if (response.Value.Length != payloadSize)
                {
                    throw new InvalidOperationException("bad echo");
                }
            };
            var rawCall = RawCall(http, rawUri, frame, askTrailers: false);
            var rawTrailerUri = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{raw.Port}/{ServiceName}/UnaryWithTrailer");
            var rawTrailerCall = RawCall(http, rawTrailerUri, frame, askTrailers: true);

            // Warm both paths up (JIT tiering, connection pools) before the first measured row.
            await RunForAsync(64, warmup, grpcCall, null);
            await RunForAsync(64, warmup, rawCall, null);
            Console.WriteLine($"# allocated per call ({(tls ? "mTLS" : "plaintext")}, client+server): Aztp.Grpc {await AllocatedPerCallAsync(grpcCall):N0} B, raw {await AllocatedPerCallAsync(rawCall):N0} B");
            if (args.Contains("--diagnose"))
            {
                // Splits the overhead: a raw HttpClient calling the Aztp.Grpc server (reading trailers) vs the full stack.
                var grpcUri = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{grpc.Port}{Unary.FullName}");
                var rawToGrpc = RawCall(http, grpcUri, frame, askTrailers: true);
                var (viaRawClient, viaRawServer) = await MeasurePairAsync(64, warmup, duration, rawToGrpc, rawCall);
                var (full, _) = await MeasurePairAsync(64, warmup, duration, grpcCall, rawCall);
                Console.WriteLine($"# diagnose ({(tls ? "mTLS" : "plaintext")}, 64 callers, CPU µs per call): raw client -> Aztp server {viaRawClient.CpuMicrosPerCall:N1}, raw -> raw {viaRawServer.CpuMicrosPerCall:N1}, Aztp -> Aztp {full.CpuMicrosPerCall:N1}");
                continue;
            }

            foreach (var callers in new[] { 1, 64 })
            {
                var (grpcResult, rawResult) = await MeasurePairAsync(callers, warmup, duration, grpcCall, rawCall);
                var mode = tls ? "mTLS" : "plaintext";
                rows.Add(Row("Aztp.Grpc unary", mode, callers, grpcResult, $"{100.0 * grpcResult.CallsPerSecond / rawResult.CallsPerSecond:0} %"));
                rows.Add(Row("raw Kestrel+HttpClient POST", mode, callers, rawResult, "100 %"));
                Console.WriteLine(rows[^2]);
                Console.WriteLine(rows[^1]);
                if (callers == 64)
                {
                    var (withTrailer, rawAgain) = await MeasurePairAsync(callers, warmup, duration, rawTrailerCall, rawCall);
                    rows.Add(Row("raw POST + grpc-status trailer", mode, callers, withTrailer, $"{100.0 * withTrailer.CallsPerSecond / rawAgain.CallsPerSecond:0} %"));
                    Console.WriteLine(rows[^1]);
                }
            }

            if (!args.Contains("--no-grpcio"))
            {
                foreach (var callers in new[] { 1, 64 })
                {
                    var row = await GrpcioBaselineAsync(tls ? certs : null, callers, warmup, duration, frame.AsSpan(5).ToArray());
                    rows.Add(row);
                    Console.WriteLine(row);
                }
            }

            // Server streaming: one call, messages/s.
            var streamResult = await MeasureStreamAsync(channel, warmup, duration);
            rows.Add($"| Aztp.Grpc server streaming | {(tls ? "mTLS" : "plaintext")} | 1 | {streamResult:N0} msg/s | | | | |");
            Console.WriteLine(rows[^1]);
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | transport | callers | throughput | p50 | p99 | CPU per call | throughput vs raw |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }

        return 0;
    }

    // One echo call made with HttpClient alone: the raw baseline. With askTrailers the request carries "te: trailers" and the
    // response must end with a grpc-status trailer.
    private static Func<Task> RawCall(HttpClient http, Uri uri, byte[] frame, bool askTrailers) => async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        if (askTrailers)
        {
            request.Headers.TryAddWithoutValidation("te", "trailers");
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (body.Length != frame.Length || (askTrailers && !response.TrailingHeaders.NonValidated.Contains("grpc-status")))
        {
            throw new InvalidOperationException("bad echo");
        }
    };

    private static string Row(string name, string mode, int callers, LoadResult result, string ratio) =>
        $"| {name} | {mode} | {callers} | {result.CallsPerSecond:N0} calls/s | {result.P50.TotalMicroseconds:N0} µs | {result.P99.TotalMicroseconds:N0} µs | {result.CpuMicrosPerCall:N1} µs | {ratio} |";

    /// <summary>
    /// Measures two call paths in alternating rounds, so that load from other processes on the machine hits both
    /// alike; each path gets <paramref name="duration"/> in total.
    /// </summary>
    private static async Task<(LoadResult A, LoadResult B)> MeasurePairAsync(int callers, TimeSpan warmup, TimeSpan duration, Func<Task> a, Func<Task> b)
    {
        const int rounds = 5;
        await RunForAsync(callers, warmup, a, null);
        await RunForAsync(callers, warmup, b, null);
        var latenciesA = NewLatencies(callers);
        var latenciesB = NewLatencies(callers);
        var elapsedA = TimeSpan.Zero;
        var elapsedB = TimeSpan.Zero;
        var cpuA = TimeSpan.Zero;
        var cpuB = TimeSpan.Zero;
        using var self = Process.GetCurrentProcess();
        for (var round = 0; round < rounds; round++)
        {
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            elapsedA += await RunForAsync(callers, duration / rounds, a, latenciesA);
            self.Refresh();
            var cpu1 = self.TotalProcessorTime;
            elapsedB += await RunForAsync(callers, duration / rounds, b, latenciesB);
            self.Refresh();
            cpuA += cpu1 - cpu0;
            cpuB += self.TotalProcessorTime - cpu1;
        }

        return (Summarize(latenciesA, elapsedA, cpuA), Summarize(latenciesB, elapsedB, cpuB));
    }

    private static List<long>[] NewLatencies(int callers)
    {
        var latencies = new List<long>[callers];
        for (var i = 0; i < callers; i++)
        {
            latencies[i] = new List<long>(100_000);
        }

        return latencies;
    }

    private static LoadResult Summarize(List<long>[] latencies, TimeSpan elapsed, TimeSpan cpu)
    {
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new LoadResult(
            all.Length / elapsed.TotalSeconds,
            all.Length == 0 ? 0 : cpu.TotalMicroseconds / all.Length,
            TimeSpan.FromTicks(Percentile(all, 0.50) * TimeSpan.TicksPerSecond / Stopwatch.Frequency),
            TimeSpan.FromTicks(Percentile(all, 0.99) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
    }

    private static async Task<TimeSpan> RunForAsync(int callers, TimeSpan duration, Func<Task> call, List<long>[]? latencies)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        var tasks = new Task[callers];
        for (var i = 0; i < callers; i++)
        {
            var own = latencies?[i];
            tasks[i] = Task.Run(async () =>
            {
                while (true)
                {
                    var before = Stopwatch.GetTimestamp();
                    if (before >= stopAt)
                    {
                        return;
                    }

                    await call();
                    own?.Add(Stopwatch.GetTimestamp() - before);
                }
            });
        }

        await Task.WhenAll(tasks);
        return Stopwatch.GetElapsedTime(start);
    }

    private static async Task<double> MeasureStreamAsync(GrpcChannel channel, TimeSpan warmup, TimeSpan duration)
    {
        async Task<(long Count, TimeSpan Elapsed)> RunAsync(TimeSpan length)
        {
            using var cts = new CancellationTokenSource(length);
            using var call = channel.AsyncServerStreamingCall(Stream, new Int32Value { Value = int.MaxValue }, new CallOptions(cancellationToken: cts.Token));
            var start = Stopwatch.GetTimestamp();
            long count = 0;
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    count++;
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }

            return (count, Stopwatch.GetElapsedTime(start));
        }

        await RunAsync(warmup);
        var (messages, elapsed) = await RunAsync(duration);
        return messages / elapsed.TotalSeconds;
    }

    private static async Task<long> AllocatedPerCallAsync(Func<Task> call)
    {
        const int calls = 2000;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < calls; i++)
        {
            await call();
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / calls;
    }

    /// <summary>Python grpcio serving and calling the same echo under the same load (separate processes).</summary>
    private static async Task<string> GrpcioBaselineAsync(BenchCertificates? certs, int callers, TimeSpan warmup, TimeSpan duration, byte[] payload)
    {
        var mode = certs is null ? "plaintext" : "mTLS";
        var script = Path.Combine(FindRepoRoot(), "bench", "Aztp.Benchmarks", "Grpc", "grpcio_load.py");
        var tlsArgs = certs is null ? [] : new[] { "--cert", certs.ServerPem.Cert, "--key", certs.ServerPem.Key, "--ca", certs.CaPem };
        using var server = StartProcess("/usr/bin/python3", [script, "server", .. tlsArgs]);
        try
        {
            var listening = await ReadLineAsync(server, line => line.StartsWith("listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            if (listening is null)
            {
                return $"| grpcio (Python) server+client | {mode} | {callers} | not run: {await server.StandardError.ReadToEndAsync()} | | | | |";
            }

            var port = listening["listening on ".Length..];
            var clientTls = certs is null ? [] : new[] { "--cert", certs.ClientPem.Cert, "--key", certs.ClientPem.Key, "--ca", certs.CaPem };
            using var client = StartProcess("/usr/bin/python3", [script, "client", "--port", port, "--callers", callers.ToString(CultureInfo.InvariantCulture),
                "--duration", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                "--payload", Convert.ToHexString(payload), .. clientTls]);
            var json = await ReadLineAsync(client, line => line.StartsWith('{'), duration + warmup + TimeSpan.FromSeconds(60));
            if (json is null)
            {
                return $"| grpcio (Python) server+client | {mode} | {callers} | failed: {await client.StandardError.ReadToEndAsync()} | | | | |";
            }

            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            return $"| grpcio (Python) server+client | {mode} | {callers} | {root.GetProperty("calls_per_second").GetDouble():N0} calls/s | {root.GetProperty("p50_us").GetDouble():N0} µs | {root.GetProperty("p99_us").GetDouble():N0} µs | | |";
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
    }

    private static Process StartProcess(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("cannot start " + file);
    }

    private static async Task<string?> ReadLineAsync(Process process, Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aztp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find Aztp.sln above " + AppContext.BaseDirectory);
    }

    private static long Percentile(long[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static async Task<GrpcServer> StartGrpcServerAsync(BenchCertificates? certs)
    {
        var payload = new BytesValue { Value = ByteString.CopyFrom(new byte[64]) };
        var service = GrpcServiceDefinition.CreateBuilder(ServiceName)
            .AddUnaryMethod(Unary, (request, _) => Task.FromResult(request))
            .AddServerStreamingMethod(Stream, async (request, responses, context) =>
            {
                for (var i = 0; i < request.Value && !context.CancellationToken.IsCancellationRequested; i++)
                {
                    await responses.WriteAsync(payload, context.CancellationToken);
                }
            })
            .Build();
        var server = new GrpcServer();
        if (certs is not null)
        {
            server.Tls = new GrpcServerTlsOptions
            {
                ServerCertificateSelector = _ => certs.Server,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = certs.Validate,
            };
        }

        server.AddService(service);
        await server.StartAsync();
        return server;
    }

    private static async Task<RawServer> StartRawServerAsync(BenchCertificates? certs)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certs is not null)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => certs.Server,
                        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                        ClientCertificateValidation = certs.Validate,
                    });
                }
            });
        });
        var app = builder.Build();
        app.UseRouting();

        // The same bytes as a gRPC echo: read the whole body, write it back.
        app.MapPost("/" + ServiceName + "/Unary", async (HttpContext context) =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length));
        });
        // The same echo plus the one trailer every gRPC response carries: isolates the cost of the trailers frame.
        app.MapPost("/" + ServiceName + "/UnaryWithTrailer", async (HttpContext context) =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length));
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new RawServer(app, port);
    }

    private static GrpcChannelOptions ChannelOptions(BenchCertificates? certs) => certs is null
        ? new GrpcChannelOptions()
        : new GrpcChannelOptions
        {
            ClientCertificateSelector = _ => certs.Client,
            ServerCertificateValidation = certs.Validate,
        };

    private static SocketsHttpHandler RawHandler(BenchCertificates? certs)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseCookies = false, UseProxy = false, AllowAutoRedirect = false };
        if (certs is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certs.Client,
                RemoteCertificateValidationCallback = (_, cert, chain, errors) => cert is X509Certificate2 c && certs.Validate(c, chain, errors),
            };
        }

        return handler;
    }

    private static byte[] Frame(IMessage message)
    {
        var body = message.ToByteArray();
        var frame = new byte[body.Length + 5];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record LoadResult(double CallsPerSecond, double CpuMicrosPerCall, TimeSpan P50, TimeSpan P99);

    private sealed class RawServer(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed class BenchCertificates : IDisposable
    {
        private BenchCertificates(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 client)
        {
            Ca = ca;
            Server = server;
            Client = client;
        }

        public X509Certificate2 Ca { get; }

        public X509Certificate2 Server { get; }

        public X509Certificate2 Client { get; }

        public string CaPem { get; private set; } = string.Empty;

        public (string Cert, string Key) ServerPem { get; private set; }

        public (string Cert, string Key) ClientPem { get; private set; }

        public static BenchCertificates Create()
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=bench CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
            var certs = new BenchCertificates(ca, Issue(ca, "CN=localhost", true, now), Issue(ca, "CN=bench-client", false, now));
            var dir = Directory.CreateTempSubdirectory("aztp-grpc-bench-").FullName;
            certs.CaPem = Write(dir, "ca.pem", ca.ExportCertificatePem());
            certs.ServerPem = (Write(dir, "server.pem", certs.Server.ExportCertificatePem()), Write(dir, "server.key", certs.Server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()));
            certs.ClientPem = (Write(dir, "client.pem", certs.Client.ExportCertificatePem()), Write(dir, "client.key", certs.Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()));
            return certs;
        }

        private static string Write(string dir, string name, string pem)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, pem);
            return path;
        }

        public bool Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            using var own = new X509Chain();
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.Add(Ca);
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return own.Build(certificate);
        }

        public void Dispose()
        {
            Ca.Dispose();
            Server.Dispose();
            Client.Dispose();
        }

        private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool server, DateTimeOffset now)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
                request.CertificateExtensions.Add(san.Build());
            }

            using var issued = request.Create(ca, now.AddDays(-1), now.AddHours(12), RandomNumberGenerator.GetBytes(8));
            return issued.CopyWithPrivateKey(key);
        }
    }
}
