using System.Buffers;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Benchmarks.Audit;

/// <summary>
/// The baseline of the monitor-path database benchmarks: a batch handler that takes the same chain step as every sink
/// (<see cref="AuditBenchSupport.ChainStep"/>) and stores nothing.
/// </summary>
internal sealed class ChainOnlyHandler : IBatchSecurityEventHandler
{
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly byte[] _state = new byte[32];

    public ChainOnlyHandler(int maxBatchSize) => MaxBatchSize = maxBatchSize;

    public string Name => "chain-only";

    public int MaxBatchSize { get; }

    public long Handled { get; private set; }

    public string LastHash { get; private set; } = AuditChain.GenesisHash;

    public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken) =>
        HandleBatchAsync([securityEvent], cancellationToken);

    public ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken)
    {
        foreach (var e in batch)
        {
            LastHash = AuditBenchSupport.ChainStep(_json, _state, e);
        }
        Handled += batch.Count;
        return ValueTask.CompletedTask;
    }
}

/// <summary>Emits events into a monitor and waits until the sink reports every one stored.</summary>
internal static class MonitorPath
{
    public static SecurityMonitor Create(IBatchSecurityEventHandler handler)
    {
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false, ShutdownTimeout = TimeSpan.FromMinutes(2) });
        monitor.AddHandler(handler);
        return monitor;
    }

    public static async Task EmitAllAsync(SecurityMonitor monitor, List<SecurityEvent[]> batches, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            foreach (var batch in batches)
            {
                foreach (var e in batch)
                {
                    await monitor.EmitAsync(e);
                }
            }
        }
        // Every handler has returned for every event emitted so far.
        await monitor.FlushAsync();
    }
}
