using System.Globalization;
using Aztp.Core;

// FinanceAgent — the Aztp sample. Until SecureConnect (Aztp.Rpc) lands, it demonstrates the monitoring pipeline on its
// own: the finance agent computes tax from a small bracket table for three requests and records, through the real
// SecurityMonitor, the security events its requests produce. The identity and policy decisions below are made by this
// sample's own small allow-list, not yet by SPIFFE/Cedar; the events, the console lines, the OnEvent handler and the
// alert handler are the real pipeline.

var alerts = 0;
var stored = new List<SecurityEvent>();
await using var monitor = new SecurityMonitor("finance", new MonitoringOptions
{
    // In addition to the default [AZTP:EVENT] console line: keep every event, and alert on failures and denials.
    OnEvent = (e, _) =>
    {
        lock (stored)
        {
            stored.Add(e);
        }
        return ValueTask.CompletedTask;
    },
});
monitor.SetSpiffeId("spiffe://company.org/finance");
monitor.AddHandler("alerts", (e, _) =>
{
    if (e.Outcome is EventOutcome.Denied or EventOutcome.Failure or EventOutcome.Error)
    {
        Interlocked.Increment(ref alerts);
        Console.WriteLine($"ALERT {SecurityEventJson.TypeName(e.Type)}/{e.Data.Action} outcome={SecurityEventJson.OutcomeName(e.Outcome)} peer={e.Actor?.Id ?? "unknown"}{(e.Data.TryGetValue("reason", out var r) ? $" reason={r}" : "")}");
    }
    return ValueTask.CompletedTask;
});

await monitor.EmitAsync(monitor.Events.SystemStarted(typeof(SecurityMonitor).Assembly.GetName().Version?.ToString()));
await monitor.EmitAsync(monitor.Events.IdentitySetupComplete("spiffe://company.org/finance", source: "sample"));

var allowed = new HashSet<string>(StringComparer.Ordinal) { "spiffe://company.org/payroll" };
(string Caller, decimal Amount)[] requests =
[
    ("spiffe://company.org/payroll", 50_000m),
    ("spiffe://company.org/marketing", 50_000m),
    ("spiffe://company.org/payroll", 2_500_000m),
];
int ok = 0, denied = 0;
foreach (var (caller, amount) in requests)
{
    var started = TimeProvider.System.GetTimestamp();
    await monitor.EmitAsync(monitor.Events.RpcRequestReceived("calculate-tax", caller, "127.0.0.1"));
    var (allow, reason, policy) = !allowed.Contains(caller)
        ? (false, "caller is not in the finance allow-list", "deny-default")
        : amount > 1_000_000m
            ? (false, "amount above the 1,000,000 limit", "limit-amount")
            : (true, "payroll may calculate tax", "allow-payroll");
    await monitor.EmitAsync(monitor.Events.PolicyEvaluated(allow, caller, "calculate-tax", reason, [policy], resource: "spiffe://company.org/finance", peerIp: "127.0.0.1"));
    var ms = TimeProvider.System.GetElapsedTime(started).TotalMilliseconds;
    if (!allow)
    {
        denied++;
        await monitor.EmitAsync(monitor.Events.RpcDenied("calculate-tax", caller, "127.0.0.1", ms));
        continue;
    }
    ok++;
    var tax = Tax(amount);
    Console.WriteLine($"calculate-tax({amount.ToString("N0", CultureInfo.InvariantCulture)}) = {tax.ToString("N2", CultureInfo.InvariantCulture)} for {caller}");
    await monitor.EmitAsync(monitor.Events.RpcResponseSent("calculate-tax", caller, "127.0.0.1", TimeProvider.System.GetElapsedTime(started).TotalMilliseconds));
}

await monitor.EmitAsync(monitor.Events.SystemStopped(monitor.Statistics.Emitted + 1));
await monitor.FlushAsync();
Console.WriteLine($"summary: calls allowed={ok} denied={denied}; events recorded={stored.Count}; alerts={Volatile.Read(ref alerts)}");
return 0;

// A progressive bracket table: 0 % to 10,000; 10 % to 40,000; 20 % to 100,000; 30 % above.
static decimal Tax(decimal income)
{
    (decimal Upto, decimal Rate)[] brackets = [(10_000m, 0m), (40_000m, 0.10m), (100_000m, 0.20m), (decimal.MaxValue, 0.30m)];
    decimal tax = 0, lower = 0;
    foreach (var (upto, rate) in brackets)
    {
        if (income <= lower)
        {
            break;
        }
        tax += (Math.Min(income, upto) - lower) * rate;
        lower = upto;
    }
    return decimal.Round(tax, 2);
}
