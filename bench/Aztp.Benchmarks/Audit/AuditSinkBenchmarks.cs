using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using Aztp.Core;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Aztp.Benchmarks.Audit;

/// <summary>
/// Sustained events per second into each sink with chaining and signed checkpoints (every 1,000 events) on.
/// One operation = 10 batches of 1,024 events; the reported time is per event (OperationsPerInvoke).
/// </summary>
[Config(typeof(AuditBenchConfig))]
[MemoryDiagnoser]
public class AuditSinkBenchmarks
{
    private List<SecurityEvent[]> _batches = null!;
    private string _dir = null!;
    private X509Certificate2 _ca = null!;
    private AuditSigner _signer = null!;
    private JsonlAuditSink _jsonl = null!;
    private JsonlAuditSink _jsonlMonitored = null!;
    private SecurityMonitor _monitor = null!;
    private JsonlAuditSink _jsonlMonitoredLarge = null!;
    private SecurityMonitor _monitorLarge = null!;
    private SecurityEvent[] _all = null!;
    private SqliteAuditSink _sqlite = null!;
    private SqliteAuditSink _sqliteBackground = null!;
    private PostgresAuditSink? _postgres;
    private BenchPostgres? _server;

    // Synchronous on purpose: the in-process toolchain of BenchmarkDotNet 0.14 does not await async setup methods.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _batches = AuditBenchSupport.MakeBatches();
        _dir = AuditBenchSupport.TempDir();
        (_ca, _signer) = AuditBenchSupport.MakeSigner();
        _all = _batches.SelectMany(b => b).ToArray();
        _jsonl = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = Path.Combine(_dir, "a.jsonl"), Signer = _signer });
        _jsonlMonitored = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = Path.Combine(_dir, "m.jsonl"), Signer = _signer });
        _monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false });
        _monitor.AddHandler(_jsonlMonitored);
        // Same, with larger batches allowed (still one fsync per batch, acknowledged after it): fewer fsyncs per event.
        _jsonlMonitoredLarge = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = Path.Combine(_dir, "m8.jsonl"), Signer = _signer, MaxBatchSize = 8192 });
        _monitorLarge = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false, QueueCapacity = 16384 });
        _monitorLarge.AddHandler(_jsonlMonitoredLarge);
        _sqlite = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = Path.Combine(_dir, "a.db"), Signer = _signer });
        _sqliteBackground = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = Path.Combine(_dir, "ck.db"), Signer = _signer, CheckpointInBackground = true });
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            _server = new BenchPostgres();
            _postgres = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
            {
                ConnectionString = _server.ConnectionString, Signer = _signer, SpillPath = Path.Combine(_dir, "spill.jsonl"),
            });
        }
    }

    // Synchronous on purpose: the in-process toolchain of BenchmarkDotNet 0.14 does not await async setup methods.
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        Console.WriteLine($"// JSONL via monitor: {_jsonlMonitored.LastSeq} records stored, {_monitor.Statistics}");
        await _monitor.DisposeAsync();
        Console.WriteLine($"// JSONL via monitor, MaxBatchSize 8192: {_jsonlMonitoredLarge.LastSeq} records stored, {_monitorLarge.Statistics}");
        await _monitorLarge.DisposeAsync();
        await _jsonlMonitoredLarge.DisposeAsync();
        await _jsonlMonitored.DisposeAsync();
        await _jsonl.DisposeAsync();
        await _sqlite.DisposeAsync();
        await _sqliteBackground.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        _server?.Dispose();
        _signer.Dispose();
        _ca.Dispose();
        Directory.Delete(_dir, true);
    }

    private readonly System.Buffers.ArrayBufferWriter<byte> _json = new(1024);

    /// <summary>
    /// Baseline: canonical JSON + SHA-256 chaining of the same events, no store — the floor every sink pays, done the
    /// way the sinks do it (SecurityEventJson.Write into one reused buffer, the payload copied out, the chain advanced
    /// on raw hash bytes).
    /// </summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "chain only (serialize + SHA-256)")]
    public string ChainOnly()
    {
        Span<byte> state = stackalloc byte[32];
        var hash = AuditChain.GenesisHash;
        foreach (var batch in _batches)
        {
            foreach (var e in batch)
            {
                hash = AuditBenchSupport.ChainStep(_json, state, e);
            }
        }
        return hash;
    }

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "JSONL (fsync per batch)")]
    public async Task Jsonl()
    {
        foreach (var batch in _batches)
        {
            await _jsonl.HandleBatchAsync(batch, CancellationToken.None);
        }
    }

    /// <summary>
    /// The real path: events emitted into a SecurityMonitor with the JSONL sink registered, timed until every one is
    /// stored (FlushAsync); the monitor hands the sink batches of their natural size (up to MaxBatchSize, 1,024).
    /// </summary>
    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "JSONL via SecurityMonitor (emit to stored)")]
    public async Task JsonlThroughMonitor()
    {
        foreach (var e in _all)
        {
            await _monitor.EmitAsync(e);
        }
        await _monitor.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "JSONL via SecurityMonitor, MaxBatchSize 8,192")]
    public async Task JsonlThroughMonitorLargeBatches()
    {
        foreach (var e in _all)
        {
            await _monitorLarge.EmitAsync(e);
        }
        await _monitorLarge.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "SQLite (WAL, synchronous=FULL)")]
    public async Task Sqlite()
    {
        foreach (var batch in _batches)
        {
            await _sqlite.HandleBatchAsync(batch, CancellationToken.None);
        }
    }

    /// <summary>The same with the opt-in background WAL checkpoints (same durability; the checkpoint leaves the commit).</summary>
    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "SQLite (WAL, synchronous=FULL), opt-in background checkpoints")]
    public async Task SqliteBackgroundCheckpoint()
    {
        foreach (var batch in _batches)
        {
            await _sqliteBackground.HandleBatchAsync(batch, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = AuditBenchSupport.EventsPerOp, Description = "PostgreSQL (binary COPY, until stored)")]
    public async Task Postgres()
    {
        if (_postgres is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries are not installed.");
        }
        foreach (var batch in _batches)
        {
            await _postgres.HandleBatchAsync(batch, CancellationToken.None);
        }
        await _postgres.FlushAsync();
    }
}
