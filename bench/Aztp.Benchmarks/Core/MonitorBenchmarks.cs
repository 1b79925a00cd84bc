using System.Threading.Channels;
using Aztp.Core;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Core;

/// <summary>
/// The cost of EmitAsync on the caller's thread (a no-op handler drains concurrently), beside the raw
/// bounded-channel write it is built on (baseline).
/// </summary>
[MemoryDiagnoser]
public class EmitBenchmarks
{
    private SecurityMonitor _monitor = null!;
    private SecurityEvent _event = null!;
    private Channel<SecurityEvent> _channel = null!;
    private Task _drain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new SecurityMonitor("bench", new MonitoringOptions { ConsoleLogging = false, QueueCapacity = 1 << 20 });
        _monitor.AddHandler("noop", static (_, _) => ValueTask.CompletedTask);
        _event = _monitor.Events.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1");
        _channel = Channel.CreateBounded<SecurityEvent>(new BoundedChannelOptions(1 << 20) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _drain = Task.Run(async () =>
        {
            await foreach (var _ in _channel.Reader.ReadAllAsync())
            {
            }
        });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _channel.Writer.Complete();
        await _drain;
        await _monitor.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw bounded channel write")]
    public ValueTask ChannelWrite() => _channel.Writer.WriteAsync(_event);

    [Benchmark(Description = "SecurityMonitor.EmitAsync")]
    public ValueTask Emit() => _monitor.EmitAsync(_event);
}

/// <summary>
/// Events per second through the whole pipeline (queue, dispatcher with redaction and metrics, per-handler queue)
/// to a no-op handler and to the console writer on a null stream; baseline: the same number of items through one raw
/// bounded channel to a consumer.
/// </summary>
[MemoryDiagnoser]
public class PipelineThroughputBenchmarks
{
    public const int Events = 100_000;
    private SecurityEvent[] _events = null!;

    [GlobalSetup]
    public void Setup()
    {
        var factory = new SecurityEventFactory("bench", "spiffe://company.org/finance");
        _events = new SecurityEvent[Events];
        for (var i = 0; i < Events; i++)
        {
            _events[i] = factory.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "raw channel, producer to consumer")]
    public async Task RawChannel()
    {
        var channel = Channel.CreateBounded<SecurityEvent>(new BoundedChannelOptions(8192) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var consumer = Task.Run(async () =>
        {
            await foreach (var _ in channel.Reader.ReadAllAsync())
            {
            }
        });
        foreach (var e in _events)
        {
            await channel.Writer.WriteAsync(e);
        }
        channel.Writer.Complete();
        await consumer;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "monitor to no-op handler")]
    public async Task ToNoOpHandler()
    {
        await using var monitor = new SecurityMonitor("bench", new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("noop", static (_, _) => ValueTask.CompletedTask);
        foreach (var e in _events)
        {
            await monitor.EmitAsync(e);
        }
        await monitor.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "monitor to console writer (null stream)")]
    public async Task ToConsoleNullStream()
    {
        await using var monitor = new SecurityMonitor("bench", new MonitoringOptions { ConsoleOutput = Stream.Null });
        foreach (var e in _events)
        {
            await monitor.EmitAsync(e);
        }
        await monitor.FlushAsync();
    }
}
