using Aztp.Identity;

namespace Aztp.Rpc;

/// <summary>Where the agent's SPIFFE identity and its trust bundles come from.</summary>
public sealed class SpiffeOptions
{
    /// <summary>The agent's trust domain, e.g. <c>company.org</c> (required). The agent's ID is <c>spiffe://&lt;TrustDomain&gt;/&lt;agent name&gt;</c>.</summary>
    public string? TrustDomain { get; set; }

    /// <summary>The key directory (default <c>./keys</c>): <c>bundle.pem</c>, <c>&lt;agent&gt;/svid.pem</c> + <c>key.pem</c>, <c>federation/*.pem</c>.</summary>
    public string KeyDir { get; set; } = "./keys";

    /// <summary>
    /// The SPIFFE Workload API endpoint, <c>unix:///path</c> or <c>tcp://ip:port</c> (default <see langword="null"/>).
    /// When set — or when the <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable is — the agent's SVIDs and bundles come
    /// from the Workload API (a SPIRE agent) with streaming rotation, and <see cref="KeyDir"/> is not used. The agent's
    /// SVID is the one whose SPIFFE ID is <c>spiffe://TrustDomain/AgentName</c>.
    /// </summary>
    public string? WorkloadApiSocket { get; set; }

    /// <summary>Create a missing key directory with a fresh development CA and SVID (default <see langword="true"/>; turn off in production).</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Lifetime of SVIDs created for a new key directory (default 24 hours).</summary>
    public TimeSpan SvidLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Pick up key directory changes (rotation, federation) without restart (default <see langword="true"/>).</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// Find key directory changes by polling instead of file notifications, for network file systems and containers
    /// (default <see langword="false"/>; polling is used anyway, with a <c>monitoring</c>/<c>watch_degraded</c>
    /// warning, when notifications can't start).
    /// </summary>
    public bool UsePolling { get; set; }

    /// <summary>
    /// Accept a JWT-SVID in <c>authorization: Bearer …</c> for calls relayed by a proxy that ends TLS (default
    /// <see langword="false"/>). The token must be valid for this agent's SPIFFE ID as audience; its subject becomes the principal.
    /// </summary>
    public bool AcceptJwtSvid { get; set; }

    /// <summary>The clock for identity checks (default the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options and throws an <see cref="ArgumentException"/> naming the option and the fix.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TrustDomain))
        {
            throw new ArgumentException("SpiffeOptions.TrustDomain is empty; set it to your trust domain (for example company.org).");
        }
        if (!Identity.TrustDomain.TryParse(TrustDomain, out _, out var rule))
        {
            throw new ArgumentException($"SpiffeOptions.TrustDomain '{TrustDomain}' is not a valid trust domain: {SpiffeId.DescribeRule(rule)}.");
        }
        if (WorkloadApiSocket is not null
            && !WorkloadApiSocket.StartsWith("unix://", StringComparison.Ordinal) && !WorkloadApiSocket.StartsWith("tcp://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"SpiffeOptions.WorkloadApiSocket '{WorkloadApiSocket}' must be unix:///path/to/socket or tcp://ip:port.");
        }
        if (ResolveWorkloadApiAddress() is null && string.IsNullOrWhiteSpace(KeyDir))
        {
            throw new ArgumentException("SpiffeOptions.KeyDir is empty; set it to the key directory (for example ./keys).");
        }
        if (SvidLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("SpiffeOptions.SvidLifetime must be positive.");
        }
        if (TimeProvider is null)
        {
            throw new ArgumentException("SpiffeOptions.TimeProvider is null; leave it at TimeProvider.System.");
        }
    }

    /// <summary>
    /// The Workload API address in effect: <see cref="WorkloadApiSocket"/>, else the <c>SPIFFE_ENDPOINT_SOCKET</c>
    /// environment variable, else <see langword="null"/> (the key directory is used).
    /// </summary>
    public string? ResolveWorkloadApiAddress()
    {
        if (!string.IsNullOrWhiteSpace(WorkloadApiSocket))
        {
            return WorkloadApiSocket;
        }
        var fromEnvironment = Environment.GetEnvironmentVariable(Identity.WorkloadApi.WorkloadApiClientOptions.EndpointSocketVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? null : fromEnvironment;
    }
}
