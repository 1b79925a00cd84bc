using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Benchmarks.Audit;

/// <summary>
/// Short monitoring-strategy job (2 warmups, 8 measured iterations, one invocation each), run in-process: on this
/// shared 2-core machine the out-of-process build of the boilerplate project can exceed BenchmarkDotNet's 2-minute limit.
/// </summary>
public sealed class AuditBenchConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public AuditBenchConfig()
    {
        var job = new BenchmarkDotNet.Jobs.Job("audit-short");
        job.Run.RunStrategy = BenchmarkDotNet.Engines.RunStrategy.Monitoring;
        job.Run.LaunchCount = 1;
        job.Run.WarmupCount = 2;
        job.Run.IterationCount = 8;
        job.Infrastructure.Toolchain = BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance;
        AddJob(job);
        // Iteration spread on this shared machine is large: the median and the best iteration go with the mean.
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min);
    }
}

internal static class AuditBenchSupport
{
    /// <summary>
    /// One chain step as every sink takes it before storing: canonical JSON into a reused buffer, the payload copied
    /// out, the chain advanced on raw hash bytes. The baselines of both the direct and the monitor-path benchmarks.
    /// </summary>
    public static string ChainStep(System.Buffers.ArrayBufferWriter<byte> json, Span<byte> state, SecurityEvent e)
    {
        json.ResetWrittenCount();
        SecurityEventJson.Write(json, e);
        return AuditChain.Advance(state, json.WrittenSpan.ToArray());
    }

    public const int BatchSize = 1024;
    public const int Batches = 10;
    public const int EventsPerOp = BatchSize * Batches;

    public static List<SecurityEvent[]> MakeBatches()
    {
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var events = new List<SecurityEvent>(EventsPerOp);
        for (var i = 0; i < EventsPerOp; i++)
        {
            events.Add((i % 3) switch
            {
                0 => f.PolicyEvaluated(i % 2 == 0, "spiffe://company.org/hr", "calculate-tax", "hr may compute taxes", ["hr-tax"]),
                1 => f.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.7"),
                _ => f.RpcResponseSent("calculate-tax", "spiffe://company.org/hr", "10.0.0.7", 1.25),
            });
        }
        return events.Chunk(BatchSize).ToList();
    }

    /// <summary>A CA and an SVID leaf with spiffe://company.org/finance, made at setup.</summary>
    public static (X509Certificate2 Ca, AuditSigner Signer) MakeSigner()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=bench CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafReq = new CertificateRequest("CN=finance", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://company.org/finance"));
        leafReq.CertificateExtensions.Add(san.Build());
        using var leaf = leafReq.Create(ca, now.AddHours(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return (ca, AuditSigner.FromCertificate(leaf.CopyWithPrivateKey(leafKey)));
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aztp-bench-audit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>A throwaway PostgreSQL server (initdb in a temp dir, unix socket, as the postgres user when root).</summary>
internal sealed class BenchPostgres : IDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly string _data;

    public BenchPostgres()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .First(b => File.Exists(Path.Combine(b, "initdb")));
        _root = Path.Combine(Path.GetTempPath(), "aztp-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        _data = Path.Combine(_root, "data");
        var sock = Path.Combine(_root, "sock");
        Directory.CreateDirectory(sock);
        if (Environment.UserName == "root")
        {
            Run("chown", "-R", "postgres:postgres", _root);
            Run("chmod", "755", _root);
        }
        Pg("initdb", "-D", _data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C");
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        // Durable settings (fsync on): the figure is for a real commit, not a RAM-only server.
        Pg("pg_ctl", "-D", _data, "-w", "-l", Path.Combine(_root, "log"), "-o", $"-p {port} -k {sock} -c listen_addresses=''", "start");
        ConnectionString = $"Host={sock};Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    public string ConnectionString { get; }

    public void Dispose()
    {
        Pg("pg_ctl", "-D", _data, "-w", "-m", "immediate", "stop");
        Directory.Delete(_root, true);
    }

    private void Pg(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin, tool);
        if (Environment.UserName == "root")
        {
            Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        }
        else
        {
            Run(exe, args);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {err}");
        }
    }
}
