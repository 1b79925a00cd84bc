using System.Diagnostics;

namespace Aztp.Policy.Tests;

/// <summary>
/// A fact that needs the Cedar reference engine (node + @cedar-policy/cedar-wasm under tests/peers/node_modules).
/// Skipped when missing, unless AZTP_REQUIRE_PEERS=1, in which case the test runs and fails with a clear message.
/// </summary>
public sealed class PeerFactAttribute : FactAttribute
{
    public PeerFactAttribute()
    {
        if (CedarPeer.MissingReason is { } reason && Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") != "1")
        {
            Skip = reason;
        }
    }
}

public static class CedarPeer
{
    public static string RepoRoot { get; } = FindRoot();

    public static string NodeModules => Path.Combine(RepoRoot, "tests", "peers", "node_modules");

    public static string Driver => Path.Combine(RepoRoot, "tests", "Aztp.Policy.Tests", "cedar-reference.cjs");

    public static string? MissingReason { get; } = Probe();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aztp.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Aztp.sln) above " + AppContext.BaseDirectory);
    }

    private static string? Probe()
    {
        if (!Directory.Exists(Path.Combine(NodeModules, "@cedar-policy", "cedar-wasm")))
        {
            return "cedar-wasm is not installed (cd tests/peers && npm ci)";
        }
        try
        {
            using var p = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            p!.WaitForExit(10_000);
            return p.ExitCode == 0 ? null : "node is not working";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "node is not installed";
        }
    }

    /// <summary>Runs the reference engine over JSONL cases in one node process; returns the result lines in order.</summary>
    public static async Task<List<string>> EvaluateAsync(IReadOnlyList<string> cases)
    {
        if (MissingReason is { } reason)
        {
            throw new InvalidOperationException("AZTP_REQUIRE_PEERS=1 but the Cedar reference engine is unavailable: " + reason);
        }
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Driver);
        psi.ArgumentList.Add(NodeModules);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        foreach (var c in cases)
        {
            await p.StandardInput.WriteLineAsync(c);
        }
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var output = await stdout;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"node exited with {p.ExitCode}: {await stderr}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
