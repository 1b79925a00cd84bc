using System.Diagnostics;
using System.Text.Json;
using Aztp.Policy.Tests.Differential;

namespace Aztp.Policy.Tests;

/// <summary>The <c>aztp policy</c> commands, run as a real process.</summary>
public sealed class PolicyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aztp-policy-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Stdout, string Stderr)> Aztp(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "aztp.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (p.ExitCode, await stdout, await stderr);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Check_ValidDirectory_ExitsZeroAndCountsPolicies()
    {
        Write("p/a.cedar", "permit(principal, action, resource);");
        Write("p/sub/b.cedar", "forbid(principal, action, resource);\npermit(principal, action, resource);");
        var (exit, stdout, _) = await Aztp(null, "policy", "check", Path.Combine(_dir, "p"));
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.True(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(3, doc.RootElement.GetProperty("policies").GetInt32());
    }

    [Fact]
    public async Task Check_ParseError_ExitsOneWithLineAndColumn()
    {
        var file = Write("bad.cedar", "permit(principal, action, resource)\n  when { 1 < };");
        var (exit, stdout, stderr) = await Aztp(null, "policy", "check", file);
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        var error = doc.RootElement.GetProperty("errors")[0];
        Assert.Equal((2, 14), (error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));
        Assert.Contains("bad.cedar:2:14:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingPath_IsUsageError()
    {
        var (exit, _, _) = await Aztp(null, "policy", "check", Path.Combine(_dir, "nope"));
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Eval_OneRequest_PrintsDecisionReasonsAndExplanation()
    {
        Write("pol/a.cedar", "@id(\"clients\") @reason(\"client agents may calculate tax\")\npermit(principal in Group::\"clients\", action == Action::\"calculate-tax\", resource);");
        Write("pol/b.cedar", "forbid(principal, action, resource) unless { context.trustDomain == \"company.org\" };");
        var entities = Write("entities.json", "[{\"uid\":{\"type\":\"Agent\",\"id\":\"spiffe://company.org/agent/client\"},\"attrs\":{},\"parents\":[{\"type\":\"Group\",\"id\":\"clients\"}]}]");
        var allowed = Write("allowed.json", "{\"principal\":\"Agent::\\\"spiffe://company.org/agent/client\\\"\",\"action\":\"Action::\\\"calculate-tax\\\"\",\"resource\":{\"type\":\"Agent\",\"id\":\"spiffe://company.org/agent/finance\"},\"context\":{\"trustDomain\":\"company.org\"}}");
        var denied = Write("denied.json", "{\"principal\":\"Agent::\\\"spiffe://company.org/agent/client\\\"\",\"action\":\"Action::\\\"calculate-tax\\\"\",\"resource\":\"Agent::\\\"f\\\"\",\"context\":{\"trustDomain\":\"evil.org\"}}");

        var (exit, stdout, _) = await Aztp(null, "policy", "eval", "--policies", Path.Combine(_dir, "pol"), "--entities", entities, "--request", allowed);
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Equal("allow", doc.RootElement.GetProperty("decision").GetString());
            Assert.Equal("policy0", doc.RootElement.GetProperty("reasons")[0].GetString());
            Assert.Equal("client agents may calculate tax", doc.RootElement.GetProperty("reason").GetString());
        }
        (exit, stdout, _) = await Aztp(null, "policy", "eval", "--policies", Path.Combine(_dir, "pol"), "--entities", entities, "--request", denied);
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Equal("deny", doc.RootElement.GetProperty("decision").GetString());
            Assert.Equal("policy1", doc.RootElement.GetProperty("reasons")[0].GetString());
        }
    }

    [Fact]
    public async Task Eval_UnparsablePolicies_IsFailureWithExitOne()
    {
        var pol = Write("bad.cedar", "permit(");
        var req = Write("r.json", "{\"principal\":\"A::\\\"a\\\"\",\"action\":\"Action::\\\"x\\\"\",\"resource\":\"A::\\\"b\\\"\"}");
        var (exit, stdout, _) = await Aztp(null, "policy", "eval", "--policies", pol, "--request", req);
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("failure", doc.RootElement.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task Eval_WithoutRequest_IsUsageError()
    {
        var pol = Write("a.cedar", "permit(principal, action, resource);");
        Assert.Equal(2, (await Aztp(null, "policy", "eval", "--policies", pol)).Exit);
        Assert.Equal(2, (await Aztp(null, "policy", "eval", "--batch", Path.Combine(_dir, "none.jsonl"))).Exit);
    }

    [Fact]
    public async Task EvalBatch_Corpus_MatchesLibraryLineForLine()
    {
        var cases = DifferentialTests.Corpus();
        cases.Add("not json");
        var file = Write("cases.jsonl", string.Join('\n', cases) + "\n");
        var (exit, stdout, _) = await Aztp(null, "policy", "eval", "--batch", file);
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, lines.Length);
        for (var i = 0; i < cases.Count; i++)
        {
            Assert.Equal(PolicyBatch.EvaluateLine(cases[i]), lines[i]);
        }
        Assert.Contains("\"decision\":\"failure\"", lines[^1], StringComparison.Ordinal);

        var (stdinExit, stdinOut, _) = await Aztp(cases[0] + "\n", "policy", "eval", "--batch", "-");
        Assert.Equal(0, stdinExit);
        Assert.Equal(lines[0], stdinOut.Trim());
    }
}
