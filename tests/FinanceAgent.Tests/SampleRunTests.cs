using System.Diagnostics;
using Aztp.Audit;
using Aztp.Core;

namespace FinanceAgent.Tests;

/// <summary>Runs the real sample executable, as a newcomer would, and checks the story's outcomes.</summary>
public class SampleRunTests
{
    private static async Task<(int Exit, string[] Stdout, string Stderr)> RunSampleAsync(string workDir, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FinanceAgent.dll");
        Assert.True(File.Exists(dll), $"sample not built at {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    [Fact]
    public async Task Story_AllowsPayroll_DeniesMarketingAndTheLargeAmount_StoresAndVerifiesTheTrail()
    {
        var work = Directory.CreateTempSubdirectory("aztp-sample-").FullName;
        var (exit, lines, stderr) = await RunSampleAsync(work);
        Assert.True(exit == 0, $"exit {exit}\n{stderr}\n{string.Join('\n', lines.TakeLast(20))}");

        // Every event line is canonical JSON that parses back to the same bytes.
        var eventLines = lines.Where(l => l.StartsWith(ConsoleEventWriter.Prefix, StringComparison.Ordinal)).Select(l => l[ConsoleEventWriter.Prefix.Length..]).ToList();
        Assert.NotEmpty(eventLines);
        var events = eventLines.Select(l => SecurityEventJson.Deserialize(l)).ToList();
        Assert.Equal(eventLines, events.Select(SecurityEventJson.Serialize));

        Assert.Contains(lines, l => l.Contains("summary: calls allowed=1 denied=2;", StringComparison.Ordinal) && l.Contains("audit chain verified", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("finance handler ran 1 time(s)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("tax 5,000.00", StringComparison.Ordinal));

        // The finance agent's decisions, with the policies' own reasons.
        var decisions = events.Where(e => e.AgentId == "finance" && e.Type == SecurityEventType.Policy && e.Data.Action == EventActions.Evaluated).ToList();
        Assert.Equal(3, decisions.Count);
        Assert.Equal(["payroll-calculates-tax"], decisions[0].Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(["no-marketing"], decisions[1].Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal(["amount-limit"], decisions[2].Data["policyIds"].AsArray().Select(v => v.AsString()));
        Assert.Equal([EventOutcome.Success, EventOutcome.Denied, EventOutcome.Denied], decisions.Select(d => d.Outcome));

        // Alerts for the denials.
        Assert.Contains(lines, l => l.StartsWith("ALERT policy/evaluated denied peer=spiffe://company.org/marketing", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ALERT policy/evaluated denied peer=spiffe://company.org/payroll", StringComparison.Ordinal));

        // The keys were created with private keys readable by the owner only.
        Assert.True(File.Exists(Path.Combine(work, "keys", "bundle.pem")));
        foreach (var agent in OperatingSystem.IsWindows() ? [] : new[] { "finance", "payroll", "marketing" })
        {
            #pragma warning disable CA1416 // guarded above
            var mode = File.GetUnixFileMode(Path.Combine(work, "keys", agent, "key.pem"));
#pragma warning restore CA1416
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }

        // audit.db holds the finance agent's events, and verifies independently against the key directory.
        var db = Path.Combine(work, "audit.db");
        var result = await AuditVerifier.VerifyAsync("sqlite:" + db, AuditVerifyOptions.FromKeyDirectory(Path.Combine(work, "keys")));
        Assert.True(result.IsIntact, result.Break?.ToString());
        Assert.True(result.Checkpoints >= 1);
        await using var reader = await SqliteAuditReader.OpenAsync(db);
        var stored = new List<SecurityEvent>();
        await foreach (var entry in reader.QueryAsync(new AuditQuery()))
        {
            stored.Add(entry.Event);
        }
        Assert.Equal(result.Events, stored.Count);
        Assert.All(stored, e => Assert.Equal("finance", e.AgentId));
        Assert.Equal(events.Where(e => e.AgentId == "finance").Select(e => e.Id).Order(StringComparer.Ordinal), stored.Select(e => e.Id).Order(StringComparer.Ordinal));

        // A second run appends to the same trail, which still verifies; `audit` prints and verifies it.
        var (exit2, _, stderr2) = await RunSampleAsync(work);
        Assert.True(exit2 == 0, stderr2);
        var (exit3, auditLines, stderr3) = await RunSampleAsync(work, "audit", "--outcome", "denied");
        Assert.True(exit3 == 0, stderr3);
        Assert.Contains(auditLines, l => l.Contains("audit chain verified", StringComparison.Ordinal));
        Assert.Equal(8, auditLines.Count(l => l.Contains(" denied ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UnknownCommand_IsAUsageError()
    {
        var (exit, _, stderr) = await RunSampleAsync(Directory.CreateTempSubdirectory("aztp-sample-").FullName, "bogus");
        Assert.Equal(2, exit);
        Assert.Contains("unknown command 'bogus'", stderr, StringComparison.Ordinal);
    }
}
