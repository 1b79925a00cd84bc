using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "aztp-audit-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A CA and an SVID leaf (spiffe://company.org/finance) generated at test time.</summary>
internal sealed class TestPki : IDisposable
{
    public TestPki(string spiffeId = "spiffe://company.org/finance", string caName = "company.org CA", bool leafUriSan = true)
    {
        CaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=" + caName, CaKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafReq = new CertificateRequest("CN=finance", leafKey, HashAlgorithmName.SHA256);
        leafReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (leafUriSan)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(new Uri(spiffeId));
            leafReq.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        using var leafPublic = leafReq.Create(Ca, now.AddHours(-1), now.AddDays(30), serial);
        Leaf = leafPublic.CopyWithPrivateKey(leafKey);
    }

    public ECDsa CaKey { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Leaf { get; }

    public X509Certificate2Collection Anchors => [Ca];

    public AuditSigner Signer() => AuditSigner.FromCertificate(Leaf);

    public void WriteBundleDir(string dir)
    {
        Directory.CreateDirectory(dir);
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "bundle.pem"), Ca.ExportCertificatePem() + "\n");
    }

    public void Dispose()
    {
        Leaf.Dispose();
        Ca.Dispose();
        CaKey.Dispose();
    }
}

internal static class TestEvents
{
    private static readonly SecurityEventFactory Factory = new("finance", "spiffe://company.org/finance");

    /// <summary>A deterministic mix of event kinds (allowed and denied policy decisions, rpc calls, identity checks).</summary>
    public static SecurityEvent Make(int i) => (i % 4) switch
    {
        0 => Factory.PolicyEvaluated(allowed: true, "spiffe://company.org/hr", "calculate-tax", "permit hr", ["p1"]),
        1 => Factory.PolicyEvaluated(allowed: false, "spiffe://company.org/marketing", "calculate-tax", "default deny", []),
        2 => Factory.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0." + (i % 250)),
        _ => Factory.IdentityFailed("untrusted", "spiffe://evil.org/x", "10.9.9.9", "detail " + i + " ünïcödé \"quoted\""),
    };

    public static List<SecurityEvent> Many(int count) => Enumerable.Range(0, count).Select(Make).ToList();

    public static SecurityEvent WithTrace(string traceId, int i) =>
        new(("evt_trace" + i).PadRight(30, '0'), SecurityEventType.Rpc, DateTimeOffset.UtcNow, "billing", null, EventSeverity.Info,
            EventOutcome.Success, traceId, "00f067aa0ba902b7", EventActor.Agent("spiffe://company.org/billing"),
            EventData.Of(new KeyValuePair<string, EventValue>("action", "request_sent"), new KeyValuePair<string, EventValue>("success", true)));
}

/// <summary>Skips a fact when a test peer is missing, unless AZTP_REQUIRE_PEERS=1 (then the test runs and fails clearly).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.FindBin() is null && Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") != "1")
        {
            Skip = "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed; set AZTP_REQUIRE_PEERS=1 to fail instead.";
        }
    }
}

public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresServer.FindBin() is null && Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") != "1")
        {
            Skip = "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed; set AZTP_REQUIRE_PEERS=1 to fail instead.";
        }
    }
}

/// <summary>The columns every database store writes for an event row, except <c>ts</c> (typed per database).</summary>
internal static class EventRow
{
    // Columns in the order: seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json.
    // With codes (SQLite's integer layout), type, outcome and severity hold the codes of docs/audit.md instead of names.
    public static void AssertColumns(System.Data.Common.DbDataReader reader, long seq, string prev, SecurityEvent e, bool codes = false)
    {
        var json = SecurityEventJson.Serialize(e);
        Assert.Equal(seq, reader.GetInt64(0));
        Assert.Equal("event", reader.GetString(1));
        Assert.Equal(prev, reader.GetString(2));
        Assert.Equal(AuditChain.ComputeHash(prev, System.Text.Encoding.UTF8.GetBytes(json)), reader.GetString(3));
        Assert.Equal(e.Id, reader.GetString(4));
        Assert.Equal(e.AgentId, reader.GetString(7));
        if (codes)
        {
            Assert.Equal(Array.IndexOf(["identity", "policy", "rpc", "monitoring", "system"], SecurityEventJson.TypeName(e.Type)) + 1, reader.GetInt64(6));
            Assert.Equal(Array.IndexOf(["success", "failure", "denied", "error"], SecurityEventJson.OutcomeName(e.Outcome)) + 1, reader.GetInt64(8));
            Assert.Equal(Array.IndexOf(["info", "warning", "error", "critical"], SecurityEventJson.SeverityName(e.Severity)) + 1, reader.GetInt64(9));
        }
        else
        {
            Assert.Equal(SecurityEventJson.TypeName(e.Type), reader.GetString(6));
            Assert.Equal(SecurityEventJson.OutcomeName(e.Outcome), reader.GetString(8));
            Assert.Equal(SecurityEventJson.SeverityName(e.Severity), reader.GetString(9));
        }
        Assert.Equal((object?)e.TraceId ?? DBNull.Value, reader.GetValue(10));
        Assert.Equal((object?)e.Actor?.Id ?? DBNull.Value, reader.GetValue(11));
        Assert.Equal(json, reader.GetString(12));
    }
}

/// <summary>The real path into a sink: events emitted one by one into a <see cref="SecurityMonitor"/> that has the sink as a handler.</summary>
internal static class TestMonitor
{
    /// <summary>Emits every event, waits until the monitor has handed them all to the sink, and requires no handler failure.</summary>
    public static async Task EmitAllAsync(AuditSink sink, IEnumerable<SecurityEvent> events)
    {
        var monitor = new SecurityMonitor("finance", new MonitoringOptions { ConsoleLogging = false });
        await using (monitor)
        {
            monitor.AddHandler(sink);
            foreach (var e in events)
            {
                await monitor.EmitAsync(e);
            }
            await monitor.FlushAsync();
            Assert.Equal(0, monitor.Statistics.HandlerFailures);
        }
    }
}
