using Aztp.Core;
using Aztp.Identity;
using Aztp.Identity.WorkloadApi;
using Aztp.Policy;
using Aztp.Rpc.Internal;

namespace Aztp.Rpc;

/// <summary>
/// The entry point of agent code: <c>using static Aztp.Rpc.AztpAgent;</c> then
/// <c>await using var secured = await SecureConnect(agent, new AztpOptions { … });</c>.
/// </summary>
public static class AztpAgent
{
    /// <summary>
    /// Makes <paramref name="agent"/> a zero-trust participant: starts the security monitor (console lines and
    /// <see cref="MonitoringOptions.OnEvent"/>), loads the agent's SVID and trust bundles from the key directory
    /// (creating a development one when missing and allowed), loads the Cedar policies, and emits
    /// <c>identity</c>/<c>setup_complete</c>.
    /// </summary>
    /// <param name="agent">The agent's name and services.</param>
    /// <param name="options">Identity, policy and monitoring options.</param>
    /// <param name="cancellationToken">Cancels setup.</param>
    /// <returns>The secured agent; dispose it to release everything.</returns>
    /// <exception cref="ArgumentException">An option is missing or invalid (the message names it).</exception>
    /// <exception cref="IdentityLoadException">The key directory cannot provide this agent's SVID.</exception>
    /// <exception cref="PolicyParseException">A policy file does not parse.</exception>
    public static async Task<SecuredAgent> SecureConnect(AgentDefinition agent, AztpOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var spiffe = options.Spiffe;

        var monitor = new SecurityMonitor(agent.Name, options.Monitoring, spiffe.TimeProvider);
        AgentIdentity? identity = null;
        PolicyStore? store = null;
        try
        {
            var workloadApi = spiffe.ResolveWorkloadApiAddress();
            identity = workloadApi is not null
                ? new AgentIdentity(await WorkloadApiSource.OpenAsync(new WorkloadApiSourceOptions
                {
                    Client = new WorkloadApiClientOptions { Address = workloadApi },
                    // A process hosting several agents gets several SVIDs: pick this agent's by its SPIFFE ID.
                    SpiffeId = SpiffeId.Parse($"spiffe://{spiffe.TrustDomain}/{agent.Name}"),
                    Monitor = monitor,
                    TimeProvider = spiffe.TimeProvider,
                }, cancellationToken).ConfigureAwait(false))
                : new AgentIdentity(await KeyDirectorySource.OpenAsync(new KeyDirectoryOptions
                {
                    Directory = spiffe.KeyDir,
                    TrustDomain = spiffe.TrustDomain,
                    AgentName = agent.Name,
                    CreateIfMissing = spiffe.CreateIfMissing,
                    SvidLifetime = spiffe.SvidLifetime,
                    WatchForChanges = spiffe.WatchForChanges,
                    UsePolling = spiffe.UsePolling,
                    Monitor = monitor,
                    TimeProvider = spiffe.TimeProvider,
                }, cancellationToken).ConfigureAwait(false));
            var svid = identity.GetX509Svid();
            monitor.SetSpiffeId(svid.Id.ToString());

            IPolicyEngine engine;
            if (options.Policy.Engine is { } custom)
            {
                engine = custom;
            }
            else
            {
                store = await PolicyStore.OpenAsync(new PolicyStoreOptions
                {
                    PolicyDir = options.Policy.PolicyDir,
                    WatchForChanges = options.Policy.WatchForChanges,
                    UsePolling = options.Policy.UsePolling,
                }, monitor, cancellationToken).ConfigureAwait(false);
                engine = store;
            }

            var core = new SecuredAgentCore(monitor, identity, engine,
                new X509SvidValidator(identity, new X509SvidValidatorOptions { TimeProvider = spiffe.TimeProvider }),
                new JwtSvidValidator(identity, new JwtSvidValidatorOptions { TimeProvider = spiffe.TimeProvider }),
                spiffe.AcceptJwtSvid, spiffe.TimeProvider);
            // identity/setup_complete comes from the identity source itself (it has the monitor).
            return new SecuredAgent(agent, core, store);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
            if (identity is not null)
            {
                await identity.DisposeAsync().ConfigureAwait(false);
            }
            await monitor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
