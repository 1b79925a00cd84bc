using System.Globalization;
using Aztp.Audit;
using Aztp.Core;
using Aztp.Grpc;
using FinanceAgent.Protos;

namespace FinanceAgent;

/// <summary>The parts of the story as separate processes, for separate terminals.</summary>
public static class Commands
{
    /// <summary>Default address of <c>serve</c> and <c>call</c>.</summary>
    public const string DefaultAddress = "https://127.0.0.1:5443";

    /// <summary><c>serve [--address URL]</c>: runs the finance agent until Ctrl+C.</summary>
    public static async Task<int> ServeAsync(SampleSettings settings, string address, CancellationToken cancellationToken)
    {
        Agents.EnsureKeys(settings);
        await using var finance = await Agents.StartFinanceAsync(settings, address, cancellationToken).ConfigureAwait(false);
        Story.Say($"finance agent serves calculate-tax on {finance.Address}; policies from {settings.PolicyDir} (edit them: they reload); Ctrl+C stops");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Story.Say("stopping: draining events into the audit trail and sealing it");
        }
        return 0;
    }

    /// <summary><c>call --as NAME --amount N [--address URL]</c>: one call to a running finance agent.</summary>
    public static async Task<int> CallAsync(SampleSettings settings, string caller, long amount, string address, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(settings.KeyDir, caller, "svid.pem")))
        {
            Console.Error.WriteLine($"no SVID for '{caller}' in {settings.KeyDir}; known agents: {string.Join(", ", SampleSettings.Agents)} (run `serve` once to create the keys)");
            return 2;
        }
        var (agent, channel) = await Agents.ConnectCallerAsync(settings, caller, new Uri(address), cancellationToken).ConfigureAwait(false);
        await using (agent.ConfigureAwait(false))
        {
            try
            {
                var reply = await channel.AsyncUnaryCall(Agents.CalculateTax, new TaxRequest { Amount = amount }, new CallOptions(cancellationToken: cancellationToken));
                Story.Say($"{caller}: tax on {amount.ToString("N0", CultureInfo.InvariantCulture)} = {Story.FormatCents(reply.TaxCents)} (top bracket {reply.TopBracket})");
                return 0;
            }
            catch (RpcException ex)
            {
                Story.Say($"{caller}: {ex.StatusCode} \"{ex.Status.Detail}\"");
                return 1;
            }
        }
    }

    /// <summary><c>audit [--type T] [--outcome O] [--last N]</c>: prints the stored trail and verifies it against ./keys.</summary>
    public static async Task<int> AuditAsync(SampleSettings settings, SecurityEventType? type, EventOutcome? outcome, int last, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.AuditDb))
        {
            Console.Error.WriteLine($"no audit trail at {settings.AuditDb}; run the sample (or `serve`) first");
            return 2;
        }
        await using (var reader = await SqliteAuditReader.OpenAsync(settings.AuditDb, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            Console.WriteLine($"{"seq",6}  {"time (UTC)",-23}  {"type",-10} {"action",-18} {"outcome",-8} {"peer / detail"}");
            await foreach (var entry in reader.QueryAsync(new AuditQuery { Type = type, Outcome = outcome, Last = last }, cancellationToken).ConfigureAwait(false))
            {
                var e = entry.Event;
                var peer = e.Data.TryGetValue("peer", out var p) ? p.ToString() : e.Actor?.Id ?? "";
                var reason = e.Data.TryGetValue("reason", out var r) ? $" ({r})" : "";
                Console.WriteLine($"{entry.Seq,6}  {e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),-23}  " +
                    $"{SecurityEventJson.TypeName(e.Type),-10} {e.Data.Action,-18} {SecurityEventJson.OutcomeName(e.Outcome),-8} {peer}{reason}");
            }
        }
        var result = await AuditVerifier.VerifyAsync("sqlite:" + settings.AuditDb, AuditVerifyOptions.FromKeyDirectory(settings.KeyDir), cancellationToken).ConfigureAwait(false);
        Story.Say(result.IsIntact
            ? $"audit chain verified: {result.Records} records, {result.Events} events, {result.Checkpoints} checkpoints signed by {string.Join(", ", result.Signers)}"
            : $"audit chain BROKEN: {result.Break}");
        return result.IsIntact ? 0 : 1;
    }
}
