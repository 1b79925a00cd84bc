namespace Aztp.Policy;

/// <summary>Settings of a directory-backed <see cref="PolicyStore"/>.</summary>
public sealed class PolicyStoreOptions
{
    /// <summary>The directory holding <c>*.cedar</c> files (searched recursively) and the entities file. Required.</summary>
    public string? PolicyDir { get; set; }

    /// <summary>The entities file name inside <see cref="PolicyDir"/>, in Cedar's JSON format; optional on disk. Default <c>entities.json</c>.</summary>
    public string EntitiesFileName { get; set; } = "entities.json";

    /// <summary>Reload automatically when a policy or entities file changes. Default <see langword="true"/>.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// Find changes by polling every <see cref="PollInterval"/> instead of file notifications (for network file systems
    /// and containers where notifications don't arrive). Without it, polling is still used when notifications can't
    /// start (for example the inotify instance limit), with a <c>monitoring</c>/<c>watch_degraded</c> warning.
    /// Default <see langword="false"/>.
    /// </summary>
    public bool UsePolling { get; set; }

    /// <summary>How often polling looks at the policy files (see <see cref="UsePolling"/>). Default 2 seconds; 10 ms to 1 hour.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Quiet time after the last file change before reloading, so an editor's several writes load once. Default 200 ms.</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Emit a <c>policy</c>/<c>evaluated</c> event for every decision made through <see cref="PolicyStore.AuthorizeAsync"/>. Default <see langword="true"/>.</summary>
    public bool EmitEvaluatedEvents { get; set; } = true;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it and the fix.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(PolicyDir))
        {
            throw new ArgumentException("PolicyStoreOptions.PolicyDir is required: set it to the directory holding your .cedar files.", nameof(PolicyDir));
        }
        if (!Directory.Exists(PolicyDir))
        {
            throw new ArgumentException($"PolicyStoreOptions.PolicyDir '{PolicyDir}' does not exist: create it or point PolicyDir at your policy directory.", nameof(PolicyDir));
        }
        if (string.IsNullOrWhiteSpace(EntitiesFileName) || EntitiesFileName.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new ArgumentException("PolicyStoreOptions.EntitiesFileName must be a plain file name such as entities.json.", nameof(EntitiesFileName));
        }
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("PolicyStoreOptions.PollInterval must be between 10 ms and 1 hour.", nameof(PollInterval));
        }
        if (ReloadDebounce < TimeSpan.Zero || ReloadDebounce > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("PolicyStoreOptions.ReloadDebounce must be between 0 and 1 minute.", nameof(ReloadDebounce));
        }
    }
}
