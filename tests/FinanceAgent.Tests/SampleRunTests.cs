using System.Diagnostics;
using Aztp.Core;

namespace FinanceAgent.Tests;

public class SampleRunTests
{
    private static async Task<(int Exit, string[] Stdout, string Stderr)> RunSampleAsync(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FinanceAgent.dll");
        Assert.True(File.Exists(dll), $"sample not built at {dll}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory.CreateTempSubdirectory("aztp-sample-").FullName };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    [Fact]
    public async Task Sample_PrintsWellFormedEventLines()
    {
        var (exit, lines, stderr) = await RunSampleAsync();
        Assert.True(exit == 0, stderr);
        var events = lines.Where(l => l.StartsWith(ConsoleEventWriter.Prefix, StringComparison.Ordinal))
            .Select(l => SecurityEventJson.Deserialize(l[ConsoleEventWriter.Prefix.Length..]))
            .ToList();
        Assert.NotEmpty(events);
        // Every line is canonical: re-serializing the parsed event gives the same text.
        foreach (var line in lines.Where(l => l.StartsWith(ConsoleEventWriter.Prefix, StringComparison.Ordinal)))
        {
            Assert.Equal(line[ConsoleEventWriter.Prefix.Length..], SecurityEventJson.Serialize(SecurityEventJson.Deserialize(line[ConsoleEventWriter.Prefix.Length..])));
        }
        Assert.All(events, e => Assert.Equal("finance", e.AgentId));
        Assert.Contains(events, e => e.Type == SecurityEventType.Policy && e.Outcome == EventOutcome.Denied);
        Assert.Contains(events, e => e.Type == SecurityEventType.Policy && e.Outcome == EventOutcome.Success);
        Assert.Contains(lines, l => l.StartsWith("summary:", StringComparison.Ordinal));
    }
}
