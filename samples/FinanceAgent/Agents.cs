using System.Security.Cryptography.X509Certificates;
using Aztp.Audit;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc;
using FinanceAgent.Protos;
using static Aztp.Rpc.AztpAgent;

namespace FinanceAgent;

/// <summary>How the sample's agents are secured: the same few lines any agent of yours would use.</summary>
public static class Agents
{
    /// <summary>The calculate-tax method, typed, for callers.</summary>
    public static readonly Method<TaxRequest, TaxReply> CalculateTax = new(FinanceReflection.Descriptor.Services[0].Methods[0]);

    /// <summary>Creates ./keys (CA + SVIDs for finance, payroll, marketing) when it does not exist yet.</summary>
    public static bool EnsureKeys(SampleSettings settings)
    {
        if (File.Exists(Path.Combine(settings.KeyDir, "bundle.pem")))
        {
            return false;
        }
        KeyDirectory.Initialize(settings.KeyDir, TrustDomain.Parse(SampleSettings.TrustDomain), SampleSettings.Agents);
        return true;
    }

    /// <summary>Options shared by every agent of the story.</summary>
    public static AztpOptions Options(SampleSettings settings, MonitoringOptions? monitoring = null) => new()
    {
        Spiffe = new() { TrustDomain = SampleSettings.TrustDomain, KeyDir = settings.KeyDir },
        Policy = new() { PolicyDir = settings.PolicyDir },
        Monitoring = monitoring ?? new MonitoringOptions(),
    };

    /// <summary>
    /// The finance agent: serves calculate-tax (exposing the request's amount to policy), keeps its security events in
    /// a hash-chained SQLite audit trail signed with its own SVID key, and prints an ALERT line for every failure or
    /// denial.
    /// </summary>
    public static async Task<FinanceHost> StartFinanceAsync(SampleSettings settings, string url, CancellationToken cancellationToken)
    {
        var service = new FinanceService();
        var agent = new AgentDefinition("finance").AddService(FinanceReflection.Descriptor.Services[0], service, s => s
            .Method<TaxRequest>("CalculateTax", "calculate-tax", request => [new("amount", request.Amount)]));

        // The audit trail is signed with the finance agent's SVID key, so `audit` can prove who wrote it.
        using var svid = X509Certificate2.CreateFromPemFile(
            Path.Combine(settings.KeyDir, "finance", "svid.pem"), Path.Combine(settings.KeyDir, "finance", "key.pem"));
        var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions
        {
            Path = settings.AuditDb,
            AgentId = "finance",
            Signer = AuditSigner.FromCertificate(svid),
            CheckpointEvery = 100,
        }, cancellationToken).ConfigureAwait(false);

        var monitoring = new MonitoringOptions();
        monitoring.Handlers.Add(sink);
        var secured = await SecureConnect(agent, Options(settings, monitoring), cancellationToken).ConfigureAwait(false);

        var alerts = new AlertHandler(new AlertOptions
        {
            Threshold = 1,
            Deliver = (alert, _) =>
            {
                Console.WriteLine($"ALERT {alert.Type}/{alert.Action} {SecurityEventJson.OutcomeName(alert.LastEvent.Outcome)} peer={alert.Peer ?? "unknown"}"
                    + (alert.LastEvent.Data.TryGetValue("reason", out var reason) ? $" reason=\"{reason}\"" : ""));
                return ValueTask.CompletedTask;
            },
        }, secured.Monitor);
        secured.Monitor.AddHandler(alerts);

        var address = await secured.StartServerAsync(url, cancellationToken).ConfigureAwait(false);
        return new FinanceHost(secured, service, sink, alerts, address);
    }

    /// <summary>Secures a calling agent (no services of its own) and returns it with a channel to the finance agent.</summary>
    public static async Task<(SecuredAgent Agent, GrpcChannel Channel)> ConnectCallerAsync(SampleSettings settings, string name, Uri finance, CancellationToken cancellationToken)
    {
        var secured = await SecureConnect(new AgentDefinition(name), Options(settings), cancellationToken).ConfigureAwait(false);
        // The client presents its own SVID and accepts the server only if it proves to be exactly the finance agent.
        var channel = secured.CreateChannel(finance.ToString(), SpiffeAuthorizer.Id(SampleSettings.FinanceId));
        return (secured, channel);
    }
}

/// <summary>The running finance agent and what it owns.</summary>
public sealed class FinanceHost(SecuredAgent agent, FinanceService service, SqliteAuditSink sink, AlertHandler alerts, Uri address) : IAsyncDisposable
{
    /// <summary>The secured agent.</summary>
    public SecuredAgent Agent => agent;

    /// <summary>The handlers (their call counter shows denied calls never reached them).</summary>
    public FinanceService Service => service;

    /// <summary>Where it listens.</summary>
    public Uri Address => address;

    /// <summary>Stops serving, drains every event into the audit trail, and seals it with a final signed checkpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        await agent.DisposeAsync().ConfigureAwait(false);
        await alerts.DisposeAsync().ConfigureAwait(false);
        await sink.DisposeAsync().ConfigureAwait(false);
    }
}
