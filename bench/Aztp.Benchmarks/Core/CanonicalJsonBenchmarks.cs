using System.Buffers;
using System.Text.Json;
using Aztp.Core;
using BenchmarkDotNet.Attributes;

namespace Aztp.Benchmarks.Core;

/// <summary>
/// The canonical JSON writer (the CPU floor of the console line and the audit chain), beside System.Text.Json's
/// source-generated serializer writing an equivalent plain record to the same reused buffer (baseline).
/// </summary>
[MemoryDiagnoser]
public class CanonicalJsonBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter _writer = null!;
    private SecurityEvent _event = null!;
    private PlainEvent _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        _event = factory.PolicyEvaluated(true, "spiffe://company.org/payroll", "calculate-tax", "payroll agents may calculate tax",
            ["payroll-calculates-tax"], resource: "spiffe://company.org/finance", peerIp: "127.0.0.1");
        _plain = new PlainEvent(_event.Id, "policy", _event.Timestamp, "finance", "spiffe://company.org/finance", "info", "success",
            "spiffe://company.org/payroll", "127.0.0.1", "evaluated", true, true, "calculate-tax", ["payroll-calculates-tax"],
            "spiffe://company.org/payroll", "payroll agents may calculate tax", "spiffe://company.org/finance");
        _writer = new Utf8JsonWriter(_buffer, SecurityEventJson.WriterOptions);
    }

    [Benchmark(Baseline = true, Description = "STJ source-gen, equivalent plain record")]
    public int SourceGenerated()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _plain, PlainJsonContext.Default.PlainEvent);
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "SecurityEventJson.Write (canonical)")]
    public int Canonical()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        SecurityEventJson.Write(_writer, _event);
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}

public sealed record PlainEvent(string Id, string Type, DateTimeOffset Timestamp, string AgentId, string SpiffeId, string Severity,
    string Outcome, string ActorId, string ActorIp, string Action, bool Success, bool Allowed, string Method, string[] PolicyIds,
    string Principal, string Reason, string Resource);

[System.Text.Json.Serialization.JsonSerializable(typeof(PlainEvent))]
public sealed partial class PlainJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
