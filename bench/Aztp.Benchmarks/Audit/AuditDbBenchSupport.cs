using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Benchmarks.Audit;

/// <summary>
/// The baseline of the monitor-path database benchmarks: a batch handler that does what every sink does before storing
/// (canonical JSON with one reused writer, SHA-256 chaining on raw hash bytes, the payload copied out) and stores nothing.
/// </summary>
internal sealed class ChainOnlyHandler : IBatchSecurityEventHandler
{
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly byte[] _state = new byte[32];
    private byte[] _input = new byte[1024];
    private Utf8JsonWriter? _writer;

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
            _json.ResetWrittenCount();
            if (_writer is null)
            {
                _writer = new Utf8JsonWriter(_json, SecurityEventJson.WriterOptions);
            }
            else
            {
                _writer.Reset(_json);
            }
            SecurityEventJson.Write(_writer, e);
            _writer.Flush();
            var payload = _json.WrittenSpan.ToArray();
            if (_input.Length < 32 + payload.Length)
            {
                _input = new byte[2 * (32 + payload.Length)];
            }
            _state.CopyTo(_input, 0);
            payload.CopyTo(_input, 32);
            SHA256.HashData(_input.AsSpan(0, 32 + payload.Length), _state);
            LastHash = Convert.ToHexStringLower(_state);
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
