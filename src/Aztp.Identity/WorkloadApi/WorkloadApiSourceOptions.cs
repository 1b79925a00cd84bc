using Aztp.Core;

namespace Aztp.Identity.WorkloadApi;

/// <summary>Options of a <see cref="WorkloadApiSource"/>.</summary>
public sealed class WorkloadApiSourceOptions
{
    /// <summary>Where the Workload API is. Default: a new <see cref="WorkloadApiClientOptions"/> (reads <c>SPIFFE_ENDPOINT_SOCKET</c>).</summary>
    public WorkloadApiClientOptions Client { get; set; } = new();

    /// <summary>
    /// The SPIFFE ID of the SVID to serve, for a process hosting several agents. Default <see langword="null"/>: the
    /// first (default) SVID the agent returns.
    /// </summary>
    public SpiffeId? SpiffeId { get; set; }

    /// <summary>How long <see cref="WorkloadApiSource.OpenAsync"/> waits for the first SVID. Default 30 s.</summary>
    public TimeSpan InitialFetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnection delay after a stream error; doubled per failure, with jitter. Default 1 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest reconnection delay. Default 30 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the SVID's remaining validity is checked. Default 1 min.</summary>
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Remaining validity below which <c>identity/expiring</c> is emitted (once per SVID). Default 1 h.</summary>
    public TimeSpan ExpiringThreshold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Also follow the JWT bundle stream so JWT-SVIDs can be validated locally. Default <see langword="true"/>.</summary>
    public bool WatchJwtBundles { get; set; } = true;

    /// <summary>Monitor that receives identity events; none when <see langword="null"/>.</summary>
    public SecurityMonitor? Monitor { get; set; }

    /// <summary>Clock for expiry decisions. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Client, nameof(Client));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Check(InitialFetchTimeout, nameof(InitialFetchTimeout));
        Check(InitialBackoff, nameof(InitialBackoff));
        Check(MaxBackoff, nameof(MaxBackoff));
        Check(ExpiryCheckInterval, nameof(ExpiryCheckInterval));
        if (MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException($"WorkloadApiSourceOptions.MaxBackoff ({MaxBackoff}) must not be below InitialBackoff ({InitialBackoff}).");
        }

        if (ExpiringThreshold < TimeSpan.Zero)
        {
            throw new ArgumentException("WorkloadApiSourceOptions.ExpiringThreshold must not be negative.");
        }
    }

    private static void Check(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"WorkloadApiSourceOptions.{name} must be positive (was {value}).");
        }
    }
}
