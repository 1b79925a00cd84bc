using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Aztp.Policy.Tests.Differential;

/// <summary>
/// Aztp's Cedar engine against the reference engine (@cedar-policy/cedar-wasm): every decision, every set of
/// determining policies and every set of errored policies must agree.
/// </summary>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    public const int GeneratedCases = 1500;

    public static List<string> Corpus()
    {
        var cases = new List<string>(HandCases.All());
        // The corpus is fixed; AZTP_CEDAR_SEED / AZTP_CEDAR_CASES explore further corpora by hand.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AZTP_CEDAR_SEED"), out var s) ? s : 20261123;
        var count = int.TryParse(Environment.GetEnvironmentVariable("AZTP_CEDAR_CASES"), out var n) ? n : GeneratedCases;
        var gen = new CorpusGenerator(seed);
        for (var i = 0; i < count; i++)
        {
            cases.Add(gen.Case($"gen-{i}"));
        }
        for (var i = 0; i < count / 3; i++)
        {
            cases.Add(gen.HierarchyCase($"tree-{i}"));
        }
        return cases;
    }

    [PeerFact]
    public async Task Corpus_AgreesWithReferenceEngine_OnEveryDecisionReasonAndError()
    {
        var cases = Corpus();
        var reference = await CedarPeer.EvaluateAsync(cases);
        Assert.Equal(cases.Count, reference.Count);
        var mismatches = new StringBuilder();
        int mismatchCount = 0, allow = 0, deny = 0, failure = 0, withErrors = 0;
        for (var i = 0; i < cases.Count; i++)
        {
            using var ours = JsonDocument.Parse(PolicyBatch.EvaluateLine(cases[i]));
            using var theirs = JsonDocument.Parse(reference[i]);
            var a = Summary(ours.RootElement);
            var b = Summary(theirs.RootElement);
            switch (b.Decision)
            {
                case "allow": allow++; break;
                case "deny": deny++; break;
                default: failure++; break;
            }
            if (b.Errors.Length > 0)
            {
                withErrors++;
            }
            if (a != b)
            {
                mismatchCount++;
                if (mismatchCount <= 15)
                {
                    using var c = JsonDocument.Parse(cases[i]);
                    var root = c.RootElement;
                    mismatches.AppendLine($"case {root.GetProperty("id")}: aztp {a} / cedar {b}\n  policies: {root.GetProperty("policies").GetString()}\n  request: {root.GetProperty("request").GetRawText()}\n  cedar: {reference[i]}\n  aztp: {ours.RootElement.GetRawText()}");
                }
            }
        }
        output.WriteLine($"corpus: {cases.Count} cases; reference: {allow} allow, {deny} deny, {failure} failure, {withErrors} with errored policies; {mismatchCount} disagreements");
        Assert.True(mismatchCount == 0, $"{mismatchCount} of {cases.Count} cases disagree:\n{mismatches}");
        // The corpus must exercise every outcome, or the comparison proves little.
        Assert.True(allow > cases.Count / 20 && deny > cases.Count / 10 && failure > 10 && withErrors > cases.Count / 20,
            $"corpus is unbalanced: {allow} allow, {deny} deny, {failure} failure, {withErrors} with errors");
    }

    private sealed record Result(string Decision, string Reasons, string Errors)
    {
        public override string ToString() => $"{Decision} reasons=[{Reasons}] errors=[{Errors}]";
    }

    private static Result Summary(JsonElement e)
    {
        var decision = e.GetProperty("decision").GetString()!;
        var reasons = e.GetProperty("reasons").EnumerateArray().Select(x => x.GetString()!).Order(StringComparer.Ordinal).ToArray();
        var errors = e.GetProperty("errors").EnumerateArray().Select(x => x.GetString()!).Order(StringComparer.Ordinal).ToArray();
        return new Result(decision, string.Join(",", reasons), string.Join(",", errors));
    }
}
