using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Aztp.Benchmarks.Audit;

/// <summary>Verification speed: records per second over a 102,400-event chain (checkpoints every 1,000, trust checked).</summary>
[Config(typeof(AuditBenchConfig))]
[MemoryDiagnoser]
public class AuditVerifyBenchmarks
{
    private const int Rounds = 10;
    private string _dir = null!;
    private X509Certificate2 _ca = null!;
    private AuditSigner _signer = null!;
    private string _jsonl = null!;
    private string _sqlite = null!;
    private long _records;

    // Synchronous on purpose: the in-process toolchain of BenchmarkDotNet 0.14 does not await async setup methods.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _dir = AuditBenchSupport.TempDir();
        (_ca, _signer) = AuditBenchSupport.MakeSigner();
        var batches = AuditBenchSupport.MakeBatches();
        _jsonl = Path.Combine(_dir, "v.jsonl");
        _sqlite = Path.Combine(_dir, "v.db");
        await using (var j = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = _jsonl, Signer = _signer, FlushToDisk = false }))
        await using (var s = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = _sqlite, Signer = _signer, FullSync = false }))
        {
            for (var r = 0; r < Rounds; r++)
            {
                foreach (var batch in batches)
                {
                    await j.HandleBatchAsync(batch, CancellationToken.None);
                    await s.HandleBatchAsync(batch, CancellationToken.None);
                }
            }
        }
        var check = await AuditVerifier.VerifyAsync(_jsonl, new AuditVerifyOptions { TrustAnchors = [_ca] });
        if (!check.IsIntact)
        {
            throw new InvalidOperationException(check.Break!.Message);
        }
        _records = check.Records;
        Console.WriteLine($"// verify corpus: {_records} records");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signer.Dispose();
        _ca.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp * Rounds, Description = "verify JSONL")]
    public async Task<bool> VerifyJsonl() =>
        (await AuditVerifier.VerifyAsync(_jsonl, new AuditVerifyOptions { TrustAnchors = [_ca] })).IsIntact;

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp * Rounds, Description = "verify SQLite")]
    public async Task<bool> VerifySqlite() =>
        (await AuditVerifier.VerifyAsync("sqlite:" + _sqlite, new AuditVerifyOptions { TrustAnchors = [_ca] })).IsIntact;
}
