using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Cli.Tests;

public sealed class AuditCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aztp-cli-audit-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly AuditCliPki _pki = new();
    private readonly SecurityEventFactory _events = new("finance", "spiffe://company.org/finance");

    public AuditCommandsTests()
    {
        Directory.CreateDirectory(_dir);
        _pki.WriteBundle(Path.Combine(_dir, "keys"));
    }

    private string Keys => Path.Combine(_dir, "keys");

    public void Dispose()
    {
        _pki.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private SecurityEvent Event(int i) => (i % 3) switch
    {
        0 => _events.PolicyEvaluated(false, "spiffe://company.org/marketing", "calculate-tax", "default deny"),
        1 => _events.PolicyEvaluated(true, "spiffe://company.org/hr", "calculate-tax", "hr may"),
        _ => _events.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.1"),
    };

    private async Task<string> WriteJsonlAsync(int count, string name = "audit.jsonl")
    {
        var path = Path.Combine(_dir, name);
        using var signer = AuditSigner.FromCertificate(_pki.Leaf);
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 4 });
        await using (sink)
        {
            await sink.HandleBatchAsync(Enumerable.Range(0, count).Select(Event).ToList(), CancellationToken.None);
        }
        return path;
    }

    private async Task<string> WriteSqliteAsync(IReadOnlyList<SecurityEvent> events)
    {
        var path = Path.Combine(_dir, "audit.db");
        using var signer = AuditSigner.FromCertificate(_pki.Leaf);
        var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 4 });
        await using (sink)
        {
            await sink.HandleBatchAsync(events, CancellationToken.None);
        }
        return "sqlite:" + path;
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await AztpCommand.InvokeAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Verify_IntactFileWithBundle_ExitsZero()
    {
        var path = await WriteJsonlAsync(10);

        var (exit, output, _) = await RunAsync("audit", "verify", path, "--bundle", Keys);

        Assert.Equal(0, exit);
        Assert.StartsWith("INTACT: ", output, StringComparison.Ordinal);
        Assert.Contains("spiffe://company.org/finance", output, StringComparison.Ordinal);
        Assert.Contains("chain to the trust bundle", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EditedRecord_ExitsOneAndNamesTheRecordAndKind()
    {
        var path = await WriteJsonlAsync(10);
        var lines = File.ReadAllLines(path);
        lines[2] = lines[2].Replace("\"reason\":\"default deny\"", "\"reason\":\"hr may\"", StringComparison.Ordinal)
            .Replace("\"reason\":\"hr may\"", "\"reason\":\"anyone\"", StringComparison.Ordinal)
            .Replace("\"method\":\"calculate-tax\"", "\"method\":\"read-all\"", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var (exit, output, _) = await RunAsync("audit", "verify", path, "--bundle", Keys, "--json");

        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("intact").GetBoolean());
        Assert.Equal("edited", doc.RootElement.GetProperty("break").GetProperty("kind").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("break").GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Verify_TruncatedSqlite_ExitsOne()
    {
        var location = await WriteSqliteAsync(Enumerable.Range(0, 10).Select(Event).ToList());
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location[7..]};Pooling=False"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM aztp_audit WHERE seq > 7";
            await cmd.ExecuteNonQueryAsync();
        }

        var (exit, output, _) = await RunAsync("audit", "verify", location, "--bundle", Keys);

        Assert.Equal(1, exit);
        Assert.StartsWith("BROKEN: truncated at seq 6", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("audit", "verify", "{file}")]
    [InlineData("audit", "verify", "/nonexistent/audit.jsonl", "--no-trust")]
    [InlineData("audit", "verify", "{file}", "--bundle", "/nonexistent")]
    [InlineData("audit", "query", "{file}", "--type", "bogus")]
    [InlineData("audit", "query", "{file}", "--since", "yesterday-ish")]
    [InlineData("audit", "tail", "{file}", "-n", "0")]
    [InlineData("audit", "prune", "{file}", "--older-than-days", "30")]
    [InlineData("audit", "verify")]
    public async Task UsageErrors_ExitTwoWithAMessage(params string[] args)
    {
        var path = await WriteJsonlAsync(2);
        var (exit, _, err) = await RunAsync(args.Select(a => a.Replace("{file}", path, StringComparison.Ordinal)).ToArray());

        Assert.Equal(2, exit);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }

    [Fact]
    public async Task Query_FiltersByTypeOutcomeAndAgent_AsJsonLines()
    {
        var location = await WriteSqliteAsync(Enumerable.Range(0, 12).Select(Event).ToList());

        var (exit, output, _) = await RunAsync("audit", "query", location, "--type", "policy", "--outcome", "denied",
            "--since", "1h", "--agent", "spiffe://company.org/marketing", "--json");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        foreach (var line in lines)
        {
            var e = SecurityEventJson.Deserialize(line);
            Assert.Equal(SecurityEventType.Policy, e.Type);
            Assert.Equal(EventOutcome.Denied, e.Outcome);
        }
    }

    [Fact]
    public async Task Query_ByTrace_PrintsATable()
    {
        var trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        var traced = new SecurityEvent("evt_01JTRACE000000000000000001", SecurityEventType.Rpc, DateTimeOffset.UtcNow, "billing", null,
            EventSeverity.Info, EventOutcome.Success, trace, "00f067aa0ba902b7", EventActor.Agent("spiffe://company.org/billing"),
            EventData.Of(new KeyValuePair<string, EventValue>("action", "request_sent"), new KeyValuePair<string, EventValue>("success", true)));
        var location = await WriteSqliteAsync([Event(0), traced, Event(1)]);

        var (exit, output, _) = await RunAsync("audit", "query", location, "--trace", trace);

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("SEQ", lines[0], StringComparison.Ordinal);
        Assert.Contains("request_sent", lines[1], StringComparison.Ordinal);
        Assert.Contains("billing", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_ShowsTheLastEvents()
    {
        var path = await WriteJsonlAsync(10);

        var (exit, output, _) = await RunAsync("audit", "tail", path, "-n", "3", "--json");

        Assert.Equal(0, exit);
        var seqs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(SecurityEventJson.Deserialize).ToList();
        Assert.Equal(3, seqs.Count);
    }

    [Fact]
    public async Task Tail_Follow_PrintsEventsStoredAfterItStarted()
    {
        var path = await WriteJsonlAsync(2);
        var stdout = new SignalingWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = AztpCommand.InvokeAsync(["audit", "tail", path, "--follow", "--json", "--interval-ms", "20"], stdout, new StringWriter(), cts.Token);
        await stdout.WaitForAsync(s => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2, cts.Token);

        var late = _events.SystemConfigReloaded("policies", "late-marker");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path });
        await using (sink)
        {
            await sink.HandleAsync(late, CancellationToken.None);
        }
        await stdout.WaitForAsync(s => s.Contains(late.Id, StringComparison.Ordinal), cts.Token);
        await cts.CancelAsync();

        Assert.Equal(0, await run);
    }

    [Fact]
    public async Task Prune_Sqlite_DeletesOldRecordsAndTheStoreStillVerifies()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        var events = Enumerable.Range(0, 8).Select(i => new SecurityEvent($"evt_01JOLD{i:D20}", SecurityEventType.Policy, old.AddSeconds(i), "finance", null,
            EventSeverity.Info, EventOutcome.Success, null, null, null, EventData.Of(new KeyValuePair<string, EventValue>("action", "evaluated"))))
            .Concat(Enumerable.Range(0, 4).Select(Event)).ToList();
        var location = await WriteSqliteAsync(events);

        var (exit, output, _) = await RunAsync("audit", "prune", location, "--older-than-days", "30");
        var verify = await RunAsync("audit", "verify", location, "--bundle", Keys);

        Assert.Equal(0, exit);
        Assert.Contains("deleted 9 records", output, StringComparison.Ordinal);
        Assert.Equal(0, verify.Exit);
    }

    [Fact]
    public async Task Verify_TrailSignedWithAKeysInitSvid_IsIntactAgainstThatKeyDirectory()
    {
        var keys = Path.Combine(_dir, "devkeys");
        var init = await RunAsync("keys", "init", "--trust-domain", "company.org", "--dir", keys, "--agent", "finance");
        Assert.True(init.Exit == 0, init.Err);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(keys, "finance", "svid.pem"));
        using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(keys, "finance", "svid.pem"), Path.Combine(keys, "finance", "key.pem"));
        using var signer = AuditSigner.FromCertificate(leaf, chain.Skip(1));
        var path = Path.Combine(_dir, "e2e.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, Signer = signer, AgentId = "finance" });
        await using (sink)
        {
            await sink.HandleBatchAsync(Enumerable.Range(0, 5).Select(Event).ToList(), CancellationToken.None);
        }

        var (exit, output, err) = await RunAsync("audit", "verify", path, "--bundle", keys);

        Assert.True(exit == 0, output + err);
        Assert.Contains("signed by spiffe://company.org/finance", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSince_AcceptsDurationsAndIsoTimes()
    {
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Assert.Equal(now.AddHours(-1), AuditCommands.ParseSince("1h", now));
        Assert.Equal(now.AddDays(-7), AuditCommands.ParseSince("7d", now));
        Assert.Equal(now.AddSeconds(-30), AuditCommands.ParseSince("30s", now));
        Assert.Equal(new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero), AuditCommands.ParseSince("2025-12-01T00:00:00Z", now));
        Assert.Throws<FormatException>(() => AuditCommands.ParseSince("soon", now));
    }
}

/// <summary>A StringWriter that completes waits when its content satisfies a condition (no sleeping in tests).</summary>
internal sealed class SignalingWriter : StringWriter
{
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Condition, TaskCompletionSource Done)> _waits = [];

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
            Check();
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            base.Write(value);
            Check();
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            base.WriteLine(value);
            Check();
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public Task WaitForAsync(Func<string, bool> condition, CancellationToken ct)
    {
        lock (_gate)
        {
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((condition, tcs));
            Check();
            return tcs.Task.WaitAsync(ct);
        }
    }

    private void Check()
    {
        var text = base.ToString();
        for (var i = _waits.Count - 1; i >= 0; i--)
        {
            if (_waits[i].Condition(text))
            {
                _waits[i].Done.TrySetResult();
                _waits.RemoveAt(i);
            }
        }
    }
}

internal sealed class AuditCliPki : IDisposable
{
    public AuditCliPki()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=company.org CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        Ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafReq = new CertificateRequest("CN=finance", leafKey, HashAlgorithmName.SHA256);
        leafReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://company.org/finance"));
        leafReq.CertificateExtensions.Add(san.Build());
        using var leaf = leafReq.Create(Ca, now.AddHours(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        Leaf = leaf.CopyWithPrivateKey(leafKey);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Leaf { get; }

    public void WriteBundle(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "bundle.pem"), Ca.ExportCertificatePem() + "\n", Encoding.ASCII);
    }

    public void Dispose()
    {
        Leaf.Dispose();
        Ca.Dispose();
    }
}
