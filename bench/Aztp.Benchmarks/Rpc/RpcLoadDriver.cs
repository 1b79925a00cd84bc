using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aztp.Benchmarks.Rpc;

/// <summary>
/// <c>dotnet run -c Release --project bench/Aztp.Benchmarks -- rpc-load [callers] [seconds] [sequential-seconds]</c>: the same unary
/// echo call (64-byte payload) over (a) plain Aztp.Grpc mutual TLS with no interceptors and (b) a SecuredAgent
/// (SVID mTLS, identity + Cedar per call, events to a no-op handler), measured in alternating rounds in one process,
/// first with [callers] concurrent callers (default 64), then with one sequential caller; each setting reports calls/s,
/// process CPU time and bytes allocated per call, and p50/p99 latency. Each setting first warms both paths until the JIT
/// has gone quiet. Fourth argument: abac (the full run with a policy that reads the context); diagnostic aids: plain,
/// secured (one path, for a profiler), gc, header (RpcLoadDriver.Gc.cs), seq.
/// </summary>
public static partial class RpcLoadDriver
{
    private const string ServiceName = "aztp.bench.Echo";
    private static readonly Method<BytesValue, BytesValue> Echo = new(MethodType.Unary, ServiceName, "Echo", BytesValue.Parser, BytesValue.Parser);

    public static async Task<int> RunAsync(string[] args)
    {
        var callers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 64;
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var sequentialSeconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : seconds / 2;
        var root = Directory.CreateTempSubdirectory("aztp-rpc-bench-").FullName;
        try
        {
            var keys = Path.Combine(root, "keys");
            var policies = Path.Combine(root, "policies");
            Directory.CreateDirectory(policies);
            KeyDirectory.Initialize(keys, TrustDomain.Parse("company.org"), ["finance", "caller"]);
            // Default: an RBAC rule that never reads the context, so the server builds none (docs/rpc.md). Mode "abac"
            // (fourth argument; otherwise the full run) adds a condition on the context, so every call builds it.
            var abac = args.Length > 3 && args[3] == "abac";
            await File.WriteAllTextAsync(Path.Combine(policies, "bench.cedar"), abac
                ? """
                @id("caller-echoes")
                @reason("the caller may echo from its own trust domain")
                permit(principal == Agent::"spiffe://company.org/caller", action == Action::"echo", resource)
                when { context.trustDomain == "company.org" && context has traceId };
                """
                : """
                @id("caller-echoes")
                @reason("the caller may echo")
                permit(principal == Agent::"spiffe://company.org/caller", action == Action::"echo", resource);
                """);

            AztpOptions Options() => new()
            {
                Spiffe = new() { TrustDomain = "company.org", KeyDir = keys, CreateIfMissing = false, WatchForChanges = false },
                Policy = new() { PolicyDir = policies, WatchForChanges = false },
                Monitoring = new() { ConsoleLogging = false, OnEvent = static (_, _) => ValueTask.CompletedTask },
            };
            var service = GrpcServiceDefinition.CreateBuilder(ServiceName)
                .AddUnaryMethod(Echo, static (request, _) => Task.FromResult(request))
                .Build();

            await using var finance = await AztpAgent.SecureConnect(new AgentDefinition("finance").AddService(service), Options());
            await using var caller = await AztpAgent.SecureConnect(new AgentDefinition("caller"), Options());
            var securedAddress = await finance.StartServerAsync("https://127.0.0.1:0");
            var secured = caller.CreateChannel(securedAddress.ToString(), SpiffeAuthorizer.Id("spiffe://company.org/finance"));

            // Baseline: the same SVIDs and the same handshake validation, but no interceptors and no events.
            using var financeSvid = X509Svid.Load(Path.Combine(keys, "finance", KeyDirectory.SvidFile), Path.Combine(keys, "finance", KeyDirectory.KeyFile));
            using var callerSvid = X509Svid.Load(Path.Combine(keys, "caller", KeyDirectory.SvidFile), Path.Combine(keys, "caller", KeyDirectory.KeyFile));
            var validator = new X509SvidValidator(finance.Bundles);
            await using var plainServer = new GrpcServer
            {
                Tls = new GrpcServerTlsOptions
                {
                    ServerCertificate = financeSvid.Certificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (c, _, _) => validator.Validate(c).IsValid,
                },
            };
            plainServer.AddService(service);
            await plainServer.StartAsync();
            var plainOptions = new GrpcChannelOptions
            {
                ClientCertificateSelector = _ => callerSvid.Certificate,
                ServerCertificateValidation = (c, _, _) => validator.Validate(c).IsValid,
            };
            await using var plain = GrpcChannel.ForAddress($"https://127.0.0.1:{plainServer.Port}", plainOptions);

            var request = new BytesValue { Value = ByteString.CopyFrom(new byte[64]) };
            Func<Task> plainCall = async () => await plain.AsyncUnaryCall(Echo, request);
            Func<Task> securedCall = async () => await secured.AsyncUnaryCall(Echo, request);
            await plainCall();
            await securedCall();

            if (args.Length > 3 && args[3] == "gc")
            {
                return await DiagnoseGcAsync(callers, seconds, plainCall, securedCall, finance, caller);
            }
            if (args.Length > 3 && args[3] == "header")
            {
                Func<Task> headerCall = async () => await plain.AsyncUnaryCall(Echo, request, new CallOptions(new Metadata { { "traceparent", EventTrace.NewTrace().ToTraceparent() } }));
                return await CompareThreeAsync(callers, seconds, plainCall, "plain + traceparent", headerCall, securedCall);
            }
            if (args.Length > 3 && args[3] == "plumbing")
            {
                // The interceptor machinery alone: the plain server and channel again, each with one interceptor that
                // does nothing, so the chain's own per-call cost (contexts, metadata copy, continuation) is measured.
                var hookedServerOptions = new GrpcServerOptions();
                hookedServerOptions.Interceptors.Add(new PassThroughServerInterceptor());
                await using var hookedServer = new GrpcServer(hookedServerOptions) { Tls = plainServer.Tls };
                hookedServer.AddService(service);
                await hookedServer.StartAsync();
                var hookedOptions = new GrpcChannelOptions
                {
                    ClientCertificateSelector = plainOptions.ClientCertificateSelector,
                    ServerCertificateValidation = plainOptions.ServerCertificateValidation,
                };
                hookedOptions.Interceptors.Add(new PassThroughClientInterceptor());
                await using var hooked = GrpcChannel.ForAddress($"https://127.0.0.1:{hookedServer.Port}", hookedOptions);
                Func<Task> hookedCall = async () => await hooked.AsyncUnaryCall(Echo, request);
                await hookedCall();
                return await CompareThreeAsync(callers, seconds, plainCall, "plain + no-op interceptors", hookedCall, securedCall);
            }

            if (args.Length > 3 && args[3] is "plain" or "secured")
            {
                // Profiling aid: one path only, for attaching dotnet-trace (not a measurement). With a fifth argument
                // "alloc", the runtime's allocation samples (one per ~100 KB) are tallied by type, per call.
                using var allocations = args.Length > 4 && args[4] == "alloc" ? new AllocationSampler() : null;
                var calls = new List<long>();
                var (t, c, m, _) = await LoadAsync(callers, TimeSpan.FromSeconds(seconds), args[3] == "plain" ? plainCall : securedCall, calls);
                Console.WriteLine(FormattableString.Invariant($"{args[3]} only: {t.TotalSeconds:F1} s, CPU {c.TotalSeconds:F1} s, {calls.Count:N0} calls, {m / Math.Max(1, calls.Count):N0} B/call"));
                allocations?.Print(calls.Count);
                return 0;
            }

            if (args.Length > 3 && args[3] == "seq")
            {
                // Diagnostic aid: the one-caller setting only, in [sequential-seconds] split into alternating slices of
                // args[4] seconds (default 0.25, as in the full run), with the thread-pool work items and context switches
                // each path costs per call. Not the issue's figures (those come from the full run).
                var slice = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0.25;
                return await SequentialOnlyAsync(TimeSpan.FromSeconds(sequentialSeconds), slice, plainCall, securedCall);
            }

            // Setting 1: saturating load (the issue's throughput setting). Setting 2: one sequential caller, where p50 is
            // the per-call latency rather than queueing (callers ÷ throughput), so the added p50 is the added work.
            // Saturating: one-second slices (at least five pairs), so that each pair's own throughput ratio is taken while the
            // machine's speed (which moves by tens of percent within minutes on this shared host) is about the same.
            var (a, b, _, pairedRatio) = await MeasureAlternatingAsync(callers, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(seconds), Math.Max(5, (int)Math.Round(seconds)), plainCall, securedCall);
            // One caller: many short alternating slices (about 0.25 s each), so that a change in the machine's load moves
            // both paths alike; besides the pooled p50s, each plain/secured pair of slices gives its own added p50.
            var pairs = Math.Max(5, (int)Math.Round(sequentialSeconds / 0.25));
            var (a1, b1, paired, _) = await MeasureAlternatingAsync(1, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(sequentialSeconds), pairs, plainCall, securedCall);
            Console.WriteLine($"seconds-per-path={seconds} (saturating), {sequentialSeconds} (sequential); cpus={Environment.ProcessorCount}; server GC={System.Runtime.GCSettings.IsServerGC}; policy={(abac ? "RBAC + context condition (context built per call)" : "RBAC (no context read)")}");
            Console.WriteLine("| callers | path | calls/s | CPU per call | allocated per call | GCs gen0/1/2 | p50 | p99 |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(Row(callers, "plain Aztp.Grpc mTLS (no interceptors)", a));
            Console.WriteLine(Row(callers, "SecuredAgent (identity + Cedar + events)", b));
            Console.WriteLine(Row(1, "plain Aztp.Grpc mTLS (no interceptors)", a1));
            Console.WriteLine(Row(1, "SecuredAgent (identity + Cedar + events)", b1));
            Console.WriteLine(FormattableString.Invariant(
                $"{callers} callers: throughput ratio secured/plain = {b.CallsPerSecond / a.CallsPerSecond:F3}; CPU ratio plain/secured = {a.CpuPerCall / b.CpuPerCall:F3} (added CPU {(b.CpuPerCall - a.CpuPerCall).TotalMicroseconds:F1} µs/call); added p50 = {(b.P50 - a.P50).TotalMicroseconds:F0} µs, p99 = {(b.P99 - a.P99).TotalMicroseconds:F0} µs"));
            Console.WriteLine(FormattableString.Invariant(
                $"1 caller: added p50 = {(b1.P50 - a1.P50).TotalMicroseconds:F1} µs, added p99 = {(b1.P99 - a1.P99).TotalMicroseconds:F1} µs; CPU ratio plain/secured = {a1.CpuPerCall / b1.CpuPerCall:F3} (added CPU {(b1.CpuPerCall - a1.CpuPerCall).TotalMicroseconds:F1} µs/call)"));
            pairedRatio.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"{callers} callers, {pairedRatio.Count} paired slices: median throughput ratio secured/plain = {Quantile(pairedRatio, 0.5):F3} (quartiles {Quantile(pairedRatio, 0.25):F3} to {Quantile(pairedRatio, 0.75):F3})"));
            paired.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"1 caller, {paired.Count} paired slices: median added p50 = {Quantile(paired, 0.5):F1} µs (quartiles {Quantile(paired, 0.25):F1} to {Quantile(paired, 0.75):F1} µs)"));
            Console.WriteLine(FormattableString.Invariant($"secured agent events emitted: {finance.Monitor.Statistics.Emitted + caller.Monitor.Statistics.Emitted:N0}"));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> SequentialOnlyAsync(TimeSpan total, double sliceSeconds, Func<Task> plainCall, Func<Task> securedCall)
    {
        var pairs = Math.Max(5, (int)Math.Round(total.TotalSeconds / sliceSeconds));
        await LoadAsync(1, TimeSpan.FromSeconds(2), plainCall, null);
        await LoadAsync(1, TimeSpan.FromSeconds(2), securedCall, null);
        var samples = new[] { new List<long>(), new List<long>() };
        var time = new TimeSpan[2];
        var cpu = new TimeSpan[2];
        var bytes = new long[2];
        var workItems = new long[2];
        var voluntary = new long[2];
        var involuntary = new long[2];
        var paired = new List<double>(pairs);
        for (var i = 0; i < pairs; i++)
        {
            var p50 = new TimeSpan[2];
            for (var path = 0; path < 2; path++)
            {
                var before = samples[path].Count;
                var items = ThreadPool.CompletedWorkItemCount;
                var (v, n) = ContextSwitches();
                var (t, c, m, _) = await LoadAsync(1, total / pairs, path == 0 ? plainCall : securedCall, samples[path]);
                var (v2, n2) = ContextSwitches();
                workItems[path] += ThreadPool.CompletedWorkItemCount - items;
                voluntary[path] += v2 - v;
                involuntary[path] += n2 - n;
                time[path] += t;
                cpu[path] += c;
                bytes[path] += m;
                p50[path] = SliceP50(samples[path], before);
            }
            paired.Add((p50[1] - p50[0]).TotalMicroseconds);
        }
        var a = Summarize(samples[0], time[0], cpu[0], bytes[0], default);
        var b = Summarize(samples[1], time[1], cpu[1], bytes[1], default);
        Console.WriteLine(FormattableString.Invariant($"sequential only: {total.TotalSeconds} s per path in {pairs} pairs of {sliceSeconds} s slices"));
        Console.WriteLine("| path | calls/s | CPU per call | p50 | p99 | work items per call | voluntary / involuntary context switches per call |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        for (var path = 0; path < 2; path++)
        {
            var r = path == 0 ? a : b;
            double n = Math.Max(1, samples[path].Count);
            Console.WriteLine(FormattableString.Invariant(
                $"| {(path == 0 ? "plain" : "secured")} | {r.CallsPerSecond:N0} | {r.CpuPerCall.TotalMicroseconds:F1} µs | {r.P50.TotalMicroseconds:N1} µs | {r.P99.TotalMicroseconds:N1} µs | {workItems[path] / n:F2} | {voluntary[path] / n:F2} / {involuntary[path] / n:F2} |"));
        }
        Console.WriteLine(FormattableString.Invariant(
            $"1 caller: added p50 = {(b.P50 - a.P50).TotalMicroseconds:F1} µs, added p99 = {(b.P99 - a.P99).TotalMicroseconds:F1} µs; added CPU {(b.CpuPerCall - a.CpuPerCall).TotalMicroseconds:F1} µs/call"));
        paired.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"1 caller, {paired.Count} paired slices: median added p50 = {Quantile(paired, 0.5):F1} µs (quartiles {Quantile(paired, 0.25):F1} to {Quantile(paired, 0.75):F1} µs)"));
        return 0;
    }

    /// <summary>The process's voluntary and involuntary context switches so far (all threads; Linux getrusage), or zeros elsewhere.</summary>
    private static (long Voluntary, long Involuntary) ContextSwitches()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (0, 0);
        }
        // struct rusage on 64-bit Linux: two timevals (4 longs), then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        return GetRusage(0, usage) == 0 ? (usage[16], usage[17]) : (0, 0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, [System.Runtime.InteropServices.Out] long[] usage);

    private static string Row(int callers, string name, Result r) =>
        FormattableString.Invariant($"| {callers} | {name} | {r.CallsPerSecond:N0} | {r.CpuPerCall.TotalMicroseconds:F1} µs | {r.BytesPerCall:N0} B | {r.Gcs.Gen0}/{r.Gcs.Gen1}/{r.Gcs.Gen2} | {r.P50.TotalMicroseconds:N1} µs | {r.P99.TotalMicroseconds:N1} µs |");

    /// <summary>Throughput, process CPU time (all threads: client, server, monitor) per call, and latency quantiles.</summary>
    private sealed record Result(double CallsPerSecond, TimeSpan CpuPerCall, long BytesPerCall, (int Gen0, int Gen1, int Gen2) Gcs, TimeSpan P50, TimeSpan P99);

    private static double Quantile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, q * sorted.Count)];

    /// <summary>
    /// Warms both paths, then gives each the same total time in <paramref name="slices"/> alternating slices (in pairs
    /// ordered A B, B A, A B, …); also returns, per pair of slices, the secured slice's p50 minus the plain slice's (µs)
    /// and the secured slice's throughput divided by the plain slice's.
    /// </summary>
    private static async Task<(Result A, Result B, List<double> PairedP50, List<double> PairedRatio)> MeasureAlternatingAsync(int callers, TimeSpan warmup, TimeSpan total, int slices, Func<Task> a, Func<Task> b)
    {
        await WarmUpAsync(callers, warmup, a, b);
        var jit = (Count: JitInfo.GetCompiledMethodCount(), Time: JitInfo.GetCompilationTime());
        var samples = new[] { new List<long>(), new List<long>() };
        var time = new TimeSpan[2];
        var cpu = new TimeSpan[2];
        var bytes = new long[2];
        var gcs = new (int, int, int)[2];
        var paired = new List<double>(slices);
        var ratios = new List<double>(slices);
        for (var i = 0; i < slices; i++)
        {
            var before = new[] { samples[0].Count, samples[1].Count };
            var rate = new double[2];
            // A B, then B A: a machine that speeds up or slows down steadily favours neither path.
            for (var k = 0; k < 2; k++)
            {
                var path = i % 2 == 0 ? k : 1 - k;
                var (t, c, m, g) = await LoadAsync(callers, total / slices, path == 0 ? a : b, samples[path]);
                time[path] += t;
                cpu[path] += c;
                bytes[path] += m;
                gcs[path] = (gcs[path].Item1 + g.Item1, gcs[path].Item2 + g.Item2, gcs[path].Item3 + g.Item3);
                rate[path] = (samples[path].Count - before[path]) / t.TotalSeconds;
            }
            paired.Add((SliceP50(samples[1], before[1]) - SliceP50(samples[0], before[0])).TotalMicroseconds);
            ratios.Add(rate[1] / rate[0]);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"{callers} caller(s): JIT during the measurement: {JitInfo.GetCompiledMethodCount() - jit.Count} methods, {(JitInfo.GetCompilationTime() - jit.Time).TotalMilliseconds:F0} ms"));
        return (Summarize(samples[0], time[0], cpu[0], bytes[0], gcs[0]), Summarize(samples[1], time[1], cpu[1], bytes[1], gcs[1]), paired, ratios);
    }

    /// <summary>
    /// Warms both paths for <paramref name="warmup"/> each, then keeps alternating one-second slices of each while the
    /// JIT is still busy (tier-1 recompilation of the paths' methods goes on for many seconds on 2 cores, and JIT time
    /// taken inside a measured slice is charged to whichever path that slice runs): the measurement starts once a pair
    /// of slices compiled fewer than <see cref="QuietJitMethods"/> methods, or after <see cref="MaxJitWarmup"/>.
    /// </summary>
    private static async Task WarmUpAsync(int callers, TimeSpan warmup, Func<Task> a, Func<Task> b)
    {
        var started = Stopwatch.GetTimestamp();
        var before = JitInfo.GetCompiledMethodCount();
        await LoadAsync(callers, warmup, a, null);
        await LoadAsync(callers, warmup, b, null);
        var compiled = JitInfo.GetCompiledMethodCount() - before;
        while (compiled >= QuietJitMethods && Stopwatch.GetElapsedTime(started) < MaxJitWarmup)
        {
            before = JitInfo.GetCompiledMethodCount();
            await LoadAsync(callers, TimeSpan.FromSeconds(1), a, null);
            await LoadAsync(callers, TimeSpan.FromSeconds(1), b, null);
            compiled = JitInfo.GetCompiledMethodCount() - before;
        }
        Console.WriteLine(FormattableString.Invariant(
            $"{callers} caller(s): warm-up {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s (last pair of slices compiled {compiled} methods)"));
    }

    /// <summary>Fewer methods than this compiled in a pair of warm-up slices: the JIT is done with both paths.</summary>
    private const int QuietJitMethods = 20;

    /// <summary>The longest warm-up waited for the JIT to go quiet.</summary>
    private static readonly TimeSpan MaxJitWarmup = TimeSpan.FromSeconds(40);

    private static TimeSpan SliceP50(List<long> samples, int from)
    {
        var slice = samples.GetRange(from, samples.Count - from).ToArray();
        if (slice.Length == 0)
        {
            return TimeSpan.Zero;
        }
        Array.Sort(slice);
        return Stopwatch.GetElapsedTime(0, slice[slice.Length / 2]);
    }

    private static Result Summarize(List<long> samples, TimeSpan elapsed, TimeSpan cpu, long allocated, (int, int, int) gcs)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        TimeSpan At(double q) => sorted.Length == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)]);
        return new Result(sorted.Length / elapsed.TotalSeconds, sorted.Length == 0 ? TimeSpan.Zero : cpu / sorted.Length,
            sorted.Length == 0 ? 0 : allocated / sorted.Length, gcs, At(0.50), At(0.99));
    }

    /// <summary>Runs one slice; returns its wall time and the process CPU time it used.</summary>
    private static async Task<(TimeSpan Elapsed, TimeSpan Cpu, long Allocated, (int, int, int) Gcs)> LoadAsync(int callers, TimeSpan duration, Func<Task> call, List<long>? samples)
    {
        using var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var allocatedStart = GC.GetTotalAllocatedBytes();
        var gcStart = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<List<long>>[callers];
        for (var i = 0; i < callers; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                var mine = new List<long>(16_384);
                long t0;
                while ((t0 = Stopwatch.GetTimestamp()) < end)
                {
                    await call();
                    mine.Add(Stopwatch.GetTimestamp() - t0);
                }
                return mine;
            });
        }
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuStart;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedStart;
        var gcs = (GC.CollectionCount(0) - gcStart.Item1, GC.CollectionCount(1) - gcStart.Item2, GC.CollectionCount(2) - gcStart.Item3);
        if (samples is not null)
        {
            foreach (var r in results)
            {
                samples.AddRange(r);
            }
        }
        return (elapsed, cpu, allocated, gcs);
    }
}
