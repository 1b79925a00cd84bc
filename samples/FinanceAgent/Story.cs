using System.Globalization;
using Aztp.Audit;
using Aztp.Grpc;
using FinanceAgent.Protos;

namespace FinanceAgent;

/// <summary>The whole story in one process: finance serves, payroll is allowed, marketing is denied, a large amount is refused.</summary>
public static class Story
{
    /// <summary>Runs the story; returns the process exit code (0 when every outcome was as expected and the trail verifies).</summary>
    public static async Task<int> RunAsync(SampleSettings settings, CancellationToken cancellationToken)
    {
        Say($"Aztp FinanceAgent sample — trust domain {SampleSettings.TrustDomain}");
        if (Agents.EnsureKeys(settings))
        {
            Say($"created {Relative(settings.KeyDir)}: a CA for {SampleSettings.TrustDomain} and SVIDs for {string.Join(", ", SampleSettings.Agents)}");
        }
        else
        {
            Say($"using the key directory {Relative(settings.KeyDir)}");
        }
        if (File.Exists(settings.AuditDb))
        {
            Say($"appending to the audit trail {Relative(settings.AuditDb)}");
        }

        int allowed = 0, denied = 0;
        Uri address;
        await using (var finance = await Agents.StartFinanceAsync(settings, "https://127.0.0.1:0", cancellationToken).ConfigureAwait(false))
        {
            address = finance.Address;
            Say($"finance agent {SampleSettings.FinanceId} serves calculate-tax on {address} (gRPC, mutual TLS, Cedar policy)");

            (string Caller, long Amount, string Expect)[] calls =
            [
                ("payroll", 50_000, "allowed: payroll is in the payroll group"),
                ("marketing", 50_000, "denied: marketing may not call finance"),
                ("payroll", 2_500_000, "denied: the amount is above the limit"),
            ];
            foreach (var (caller, amount, expect) in calls)
            {
                Say($"{caller} calls calculate-tax(amount: {amount.ToString("N0", CultureInfo.InvariantCulture)}) — expected {expect}");
                var (agent, channel) = await Agents.ConnectCallerAsync(settings, caller, address, cancellationToken).ConfigureAwait(false);
                await using (agent.ConfigureAwait(false))
                {
                    try
                    {
                        var reply = await channel.AsyncUnaryCall(Agents.CalculateTax, new TaxRequest { Amount = amount }, new CallOptions(cancellationToken: cancellationToken));
                        allowed++;
                        Say($"  -> tax {FormatCents(reply.TaxCents)} (effective {reply.EffectiveRateBp / 100.0:0.00}%, top bracket {reply.TopBracket})");
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
                    {
                        denied++;
                        Say($"  -> {ex.StatusCode}: \"{ex.Status.Detail}\" (the caller learns nothing of the policy; the handler never ran)");
                    }
                }
            }
            Say($"finance handler ran {finance.Service.Calls} time(s)");
        }

        // The finance agent is stopped: its trail is drained and sealed. Verify it as an auditor would.
        var verification = await AuditVerifier.VerifyAsync("sqlite:" + settings.AuditDb, AuditVerifyOptions.FromKeyDirectory(settings.KeyDir), cancellationToken).ConfigureAwait(false);
        Say($"summary: calls allowed={allowed} denied={denied}; events stored={verification.Events} in {Relative(settings.AuditDb)}; " +
            $"audit chain {(verification.IsIntact ? "verified" : "BROKEN: " + verification.Break)} ({verification.Records} records, {verification.Checkpoints} signed checkpoints)");
        Say("next: `dotnet run --project samples/FinanceAgent -- audit` to query and verify the trail; see docs/getting-started.md");
        return allowed == 1 && denied == 2 && verification.IsIntact ? 0 : 1;
    }

    internal static void Say(string line) => Console.WriteLine("[finance-sample] " + line);

    internal static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

    internal static string FormatCents(long cents) => (cents / 100m).ToString("N2", CultureInfo.InvariantCulture);
}
