using Aztp.Core;

namespace Aztp.Identity;

/// <summary>Settings of a <see cref="KeyDirectorySource"/>.</summary>
public sealed class KeyDirectoryOptions
{
    /// <summary>The key directory. Default: <c>./keys</c>.</summary>
    public string Directory { get; set; } = "keys";

    /// <summary>The local trust domain (required), for example <c>company.org</c>.</summary>
    public string? TrustDomain { get; set; }

    /// <summary>This agent's name (required); its SVID is <c>&lt;Directory&gt;/&lt;AgentName&gt;/svid.pem</c>.</summary>
    public string? AgentName { get; set; }

    /// <summary>
    /// Development mode: when the directory (or this agent's SVID) is missing, create it with a fresh CA and SVID.
    /// Default: <see langword="false"/> — a missing directory is an error.
    /// </summary>
    public bool CreateIfMissing { get; set; }

    /// <summary>Lifetime of SVIDs created in development mode. Default: 24 hours.</summary>
    public TimeSpan SvidLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Lifetime of JWT-SVIDs minted with the directory's JWT key. Default: 5 minutes.</summary>
    public TimeSpan JwtSvidLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An SVID with less than this left raises <c>identity/expiring</c>. Default: 1 hour.</summary>
    public TimeSpan ExpiringThreshold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the expiry check runs. Default: 1 minute.</summary>
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Watch the directory and re-read it on change (rotation without restart). Default: <see langword="true"/>.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// Find changes by polling every <see cref="PollInterval"/> instead of file notifications (network file systems,
    /// containers). Without it, polling is still used when notifications can't start (for example the inotify instance
    /// limit), with a <c>monitoring</c>/<c>watch_degraded</c> warning. Default: <see langword="false"/>.
    /// </summary>
    public bool UsePolling { get; set; }

    /// <summary>How often polling looks at the directory (see <see cref="UsePolling"/>). Default: 2 seconds; 10 ms to 1 hour.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Monitor that receives identity events; none when <see langword="null"/>.</summary>
    public SecurityMonitor? Monitor { get; set; }

    /// <summary>Clock for validity and expiry checks. Default: <see cref="System.TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options; the message names the option and the fix.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("KeyDirectoryOptions.Directory is empty; set it to the key directory (for example ./keys).");
        }
        if (string.IsNullOrWhiteSpace(TrustDomain) || !Identity.TrustDomain.TryParse(TrustDomain, out _, out var rule))
        {
            throw new ArgumentException($"KeyDirectoryOptions.TrustDomain '{TrustDomain}' is not a valid trust domain; set it to a name such as company.org.");
        }
        if (string.IsNullOrWhiteSpace(AgentName))
        {
            throw new ArgumentException("KeyDirectoryOptions.AgentName is empty; set it to this agent's name (for example finance).");
        }
        _ = rule;
        if (SvidLifetime <= TimeSpan.Zero || JwtSvidLifetime <= TimeSpan.Zero || ExpiryCheckInterval <= TimeSpan.Zero || ExpiringThreshold < TimeSpan.Zero)
        {
            throw new ArgumentException("KeyDirectoryOptions lifetimes and intervals must be positive.");
        }
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("KeyDirectoryOptions.PollInterval must be between 10 ms and 1 hour.", nameof(PollInterval));
        }
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
