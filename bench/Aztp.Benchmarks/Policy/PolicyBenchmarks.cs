using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aztp.Policy;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Policy;

/// <summary>
/// Cedar decisions per second and per-decision p50/p99 for 10, 100 and 1,000 RBAC+ABAC policies, with the reference
/// engine (cedar-wasm, pre-parsed policies) measured in the same run on the same policies, entities and requests.
/// BenchmarkDotNet measures Aztp's mean and allocations; the global setup also times every decision individually
/// for Aztp and runs cedar-wasm through node, and writes both to policy-vs-cedar-wasm.md in the artifacts folder.
/// Run: dotnet run -c Release --project bench/Aztp.Benchmarks -- --filter '*PolicyBenchmarks*' (in-process short job).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class PolicyBenchmarks
{
    private PolicySet _policies = PolicySet.Empty;
    private EntityStore _entities = EntityStore.Empty;
    private AuthorizationRequest[] _requests = [];
    private AuthorizationRequest _rbacAllowed = null!;
    private int _next;

    [Params(10, 100, 1000)]
    public int Policies { get; set; }

    /// <summary>Setup for <see cref="Decide"/>: also runs the per-decision comparison with cedar-wasm once per size.</summary>
    [GlobalSetup(Target = nameof(Decide))]
    public void SetupAndCompare()
    {
        var workload = Setup();
        Compare.Run(Policies, workload, _policies, _entities, _requests);
    }

    [GlobalSetup(Target = nameof(DecideRbac))]
    public void SetupRbac() => Setup();

    private Workload Setup()
    {
        var workload = Workload.Create(Policies);
        _policies = PolicySet.Parse(workload.PolicyText);
        _entities = EntityStore.FromJson(workload.EntitiesJson);
        _requests = workload.Requests.Select(r => PolicyBatch.ParseRequest(JsonDocument.Parse(r!.ToJsonString()).RootElement)).ToArray();
        _rbacAllowed = _requests.First(r => CedarAuthorizer.Authorize(_policies, _entities, r) is { IsAllowed: true, Errors.Count: 0 } resp
            && resp.DeterminingPolicies.Count == 1 && resp.DeterminingPolicies[0].IsScopeOnly);
        return workload;
    }

    /// <summary>One decision over the mixed RBAC+ABAC request stream.</summary>
    [Benchmark(Baseline = true)]
    public bool Decide()
    {
        var r = _requests[_next];
        _next = _next + 1 == _requests.Length ? 0 : _next + 1;
        return CedarAuthorizer.Authorize(_policies, _entities, r).IsAllowed;
    }

    /// <summary>The common RBAC case: a scope-only permit decides (the allocation-free fast path).</summary>
    [Benchmark]
    public bool DecideRbac() => CedarAuthorizer.Authorize(_policies, _entities, _rbacAllowed).IsAllowed;

    public sealed record Workload(string PolicyText, string EntitiesJson, JsonArray Requests)
    {
        private const string Domain = "spiffe://company.org/agent/";

        public static Workload Create(int n)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < n; i++)
            {
                var agent = $"{Domain}a{i % 200}";
                var method = $"m{i % 30}";
                sb.Append((i % 4) switch
                {
                    0 => $"permit(principal == Agent::\"{agent}\", action == Action::\"{method}\", resource == Agent::\"{Domain}finance\");\n",
                    1 => $"permit(principal in Group::\"g{i % 20}\", action in [Action::\"{method}\", Action::\"m{(i + 1) % 30}\"], resource);\n",
                    2 => $"permit(principal == Agent::\"{agent}\", action == Action::\"{method}\", resource) when {{ context.amount < {1000 + i} && context.trustDomain == \"company.org\" }};\n",
                    _ => $"forbid(principal == Agent::\"{agent}\", action, resource) when {{ context.ip.isInRange(ip(\"192.168.0.0/16\")) }};\n",
                });
            }
            var entities = new JsonArray();
            for (var k = 0; k < 200; k++)
            {
                entities.Add(new JsonObject
                {
                    ["uid"] = new JsonObject { ["type"] = "Agent", ["id"] = $"{Domain}a{k}" },
                    ["attrs"] = new JsonObject { ["tier"] = k % 3 },
                    ["parents"] = new JsonArray(new JsonObject { ["type"] = "Group", ["id"] = $"g{k % 20}" }),
                });
            }
            var rng = new Random(42);
            var requests = new JsonArray();
            for (var j = 0; j < 1000; j++)
            {
                requests.Add(new JsonObject
                {
                    ["principal"] = new JsonObject { ["type"] = "Agent", ["id"] = $"{Domain}a{rng.Next(200)}" },
                    ["action"] = new JsonObject { ["type"] = "Action", ["id"] = $"m{rng.Next(30)}" },
                    ["resource"] = new JsonObject { ["type"] = "Agent", ["id"] = $"{Domain}finance" },
                    ["context"] = new JsonObject
                    {
                        ["amount"] = rng.Next(2000),
                        ["trustDomain"] = "company.org",
                        ["ip"] = new JsonObject { ["__extn"] = new JsonObject { ["fn"] = "ip", ["arg"] = rng.Next(4) == 0 ? "192.168.1.7" : "10.0.3.4" } },
                    },
                });
            }
            return new Workload(sb.ToString(), entities.ToJsonString(), requests);
        }
    }

    /// <summary>Per-decision percentiles for Aztp and the same workload through cedar-wasm, in the same process run.</summary>
    internal static class Compare
    {
        public static void Run(int n, Workload workload, PolicySet policies, EntityStore entities, AuthorizationRequest[] requests)
        {
            // Aztp: warm up, then time 1,000,000 decisions one by one.
            const int Samples = 1_000_000;
            for (var i = 0; i < 200_000; i++)
            {
                CedarAuthorizer.Authorize(policies, entities, requests[i % requests.Length]);
            }
            var ticks = new long[Samples];
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Samples; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                CedarAuthorizer.Authorize(policies, entities, requests[i % requests.Length]);
                ticks[i] = Stopwatch.GetTimestamp() - t0;
            }
            var elapsed = Stopwatch.GetElapsedTime(start);
            Array.Sort(ticks);
            double Us(long t) => t * 1_000_000.0 / Stopwatch.Frequency;
            var aztp = (Rate: Samples / elapsed.TotalSeconds, P50: Us(ticks[Samples / 2]), P99: Us(ticks[(int)(Samples * 0.99)]));
            var ours = requests.Select(r => CedarAuthorizer.Authorize(policies, entities, r).IsAllowed ? "allow" : "deny").ToArray();

            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"## {n} policies ({requests.Length} distinct requests, {ours.Count(d => d == "allow")} allowed)");
            report.AppendLine(CultureInfo.InvariantCulture, $"aztp       : {aztp.Rate,12:N0} decisions/s  p50 {aztp.P50:F3} µs  p99 {aztp.P99:F3} µs (each of {Samples:N0} decisions timed)");
            try
            {
                var wasm = RunCedarWasm(workload);
                var agree = wasm.Decisions.Zip(ours).Count(p => p.First == p.Second);
                report.AppendLine(CultureInfo.InvariantCulture, $"cedar-wasm : {wasm.Rate,12:N0} decisions/s  p50 {wasm.P50:F3} µs  p99 {wasm.P99:F3} µs (cedar {wasm.Version}, pre-parsed policies)");
                report.AppendLine(CultureInfo.InvariantCulture, $"ratio      : {aztp.Rate / wasm.Rate:N0}x throughput; decisions agree on {agree}/{ours.Length} requests");
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"cedar-wasm : not measured ({ex.Message})");
            }
            Console.WriteLine(report);
            var dir = Path.Combine(RepoRoot(), "BenchmarkDotNet.Artifacts");
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "policy-vs-cedar-wasm.md"), report + "\n");
        }

        private static (double Rate, double P50, double P99, string Version, string[] Decisions) RunCedarWasm(Workload w)
        {
            var root = RepoRoot();
            var modules = Path.Combine(root, "tests", "peers", "node_modules");
            var file = Path.Combine(Path.GetTempPath(), $"aztp-policy-workload-{Environment.ProcessId}.json");
            File.WriteAllText(file, new JsonObject
            {
                ["policies"] = w.PolicyText,
                ["entities"] = JsonNode.Parse(w.EntitiesJson),
                ["requests"] = w.Requests.DeepClone(),
            }.ToJsonString());
            try
            {
                var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                psi.ArgumentList.Add(Path.Combine(root, "bench", "Aztp.Benchmarks", "Policy", "cedar-wasm-bench.cjs"));
                psi.ArgumentList.Add(modules);
                psi.ArgumentList.Add(file);
                psi.ArgumentList.Add("5000");
                using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start node");
                var stdout = p.StandardOutput.ReadToEnd();
                var stderr = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    throw new InvalidOperationException($"node exited {p.ExitCode}: {stderr}");
                }
                using var doc = JsonDocument.Parse(stdout);
                var r = doc.RootElement;
                return (r.GetProperty("decisionsPerSecond").GetDouble(), r.GetProperty("p50Us").GetDouble(), r.GetProperty("p99Us").GetDouble(),
                    r.GetProperty("version").GetString()!, r.GetProperty("decisions").EnumerateArray().Select(d => d.GetString()!).ToArray());
            }
            finally
            {
                File.Delete(file);
            }
        }

        private static string RepoRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aztp.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Aztp.sln)");
        }
    }
}
