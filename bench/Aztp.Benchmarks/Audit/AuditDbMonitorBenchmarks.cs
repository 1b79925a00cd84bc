using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using Aztp.Core;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Audit;

/// <summary>
/// Sustained events per second through the real path: events emitted into a <see cref="SecurityMonitor"/> with the sink
/// registered, until every event is stored (the monitor's flush, then the sink's own flush where it writes behind), so
/// batches take their natural size under load (up to the sink's MaxBatchSize). Chaining and signed checkpoints (every
/// 1,000 events) are on. One operation = 102,400 events (the 10,240 benchmark events ten times, so the pipeline runs
/// far longer than it takes to fill and drain); the reported time is per event. The baseline is the same monitor path
/// into a handler that only serializes and chains.
/// </summary>
[Config(typeof(AuditBenchConfig))]
[MemoryDiagnoser]
public class AuditDbMonitorBenchmarks
{
    private const int MonitorBatch = 8192;
    private const int Rounds = 10;
    private const int EventsPerOp = AuditBenchSupport.EventsPerOp * Rounds;
    private List<SecurityEvent[]> _batches = null!;
    private string _dir = null!;
    private X509Certificate2 _ca = null!;
    private AuditSigner _signer = null!;
    private ChainOnlyHandler _chain = null!;
    private SecurityMonitor _chainMonitor = null!;
    private SqliteAuditSink _sqlite = null!;
    private SecurityMonitor _sqliteMonitor = null!;
    private SqliteAuditSink _sqliteBackground = null!;
    private SecurityMonitor _sqliteBackgroundMonitor = null!;
    private SqliteAuditSink _sqliteBehind = null!;
    private SecurityMonitor _sqliteBehindMonitor = null!;
    private PostgresAuditSink? _postgres;
    private SecurityMonitor? _postgresMonitor;
    private BenchPostgres? _server;

    // Synchronous on purpose: the in-process toolchain of BenchmarkDotNet 0.14 does not await async setup methods.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _batches = AuditBenchSupport.MakeBatches();
        _dir = AuditBenchSupport.TempDir();
        (_ca, _signer) = AuditBenchSupport.MakeSigner();
        _chain = new ChainOnlyHandler(MonitorBatch);
        _chainMonitor = MonitorPath.Create(_chain);
        // The default row takes the sink's defaults (its MaxBatchSize is MonitorBatch by default).
        _sqlite = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = Path.Combine(_dir, "a.db"), Signer = _signer });
        _sqliteMonitor = MonitorPath.Create(_sqlite);
        _sqliteBackground = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions
        {
            Path = Path.Combine(_dir, "ck.db"), Signer = _signer, MaxBatchSize = MonitorBatch, CheckpointInBackground = true,
        });
        _sqliteBackgroundMonitor = MonitorPath.Create(_sqliteBackground);
        _sqliteBehind = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions
        {
            Path = Path.Combine(_dir, "b.db"), Signer = _signer, MaxBatchSize = MonitorBatch, WriteBehind = true,
        });
        _sqliteBehindMonitor = MonitorPath.Create(_sqliteBehind);
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            _server = new BenchPostgres();
            _postgres = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
            {
                ConnectionString = _server.ConnectionString, Signer = _signer, SpillPath = Path.Combine(_dir, "spill.jsonl"), MaxBatchSize = MonitorBatch,
            });
            _postgresMonitor = MonitorPath.Create(_postgres);
        }
    }

    // Synchronous on purpose: the in-process toolchain of BenchmarkDotNet 0.14 does not await async setup methods.
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _chainMonitor.DisposeAsync();
        await _sqliteMonitor.DisposeAsync();
        await _sqlite.DisposeAsync();
        await _sqliteBackgroundMonitor.DisposeAsync();
        await _sqliteBackground.DisposeAsync();
        await _sqliteBehindMonitor.DisposeAsync();
        await _sqliteBehind.DisposeAsync();
        if (_postgresMonitor is not null)
        {
            await _postgresMonitor.DisposeAsync();
            await _postgres!.DisposeAsync();
        }
        _server?.Dispose();
        _signer.Dispose();
        _ca.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerOp, Description = "monitor → chain only (serialize + SHA-256)")]
    public Task MonitorChainOnly() => MonitorPath.EmitAllAsync(_chainMonitor, _batches, Rounds);

    [Benchmark(OperationsPerInvoke = EventsPerOp, Description = "monitor → SQLite (default: committed per batch, FULL)")]
    public Task MonitorSqlite() => MonitorPath.EmitAllAsync(_sqliteMonitor, _batches, Rounds);

    [Benchmark(OperationsPerInvoke = EventsPerOp, Description = "monitor → SQLite (committed per batch, FULL), opt-in background checkpoints")]
    public Task MonitorSqliteBackgroundCheckpoint() => MonitorPath.EmitAllAsync(_sqliteBackgroundMonitor, _batches, Rounds);

    [Benchmark(OperationsPerInvoke = EventsPerOp, Description = "monitor → SQLite (opt-in write-behind, FULL), until committed")]
    public async Task MonitorSqliteWriteBehind()
    {
        await MonitorPath.EmitAllAsync(_sqliteBehindMonitor, _batches, Rounds);
        await _sqliteBehind.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = EventsPerOp, Description = "monitor → PostgreSQL (binary COPY), until stored")]
    public async Task MonitorPostgres()
    {
        if (_postgres is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries are not installed.");
        }
        await MonitorPath.EmitAllAsync(_postgresMonitor!, _batches, Rounds);
        await _postgres.FlushAsync();
    }
}
