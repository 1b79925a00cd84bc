namespace Aztp.Policy;

/// <summary>One immutable, active generation of a <see cref="PolicyStore"/>: policies, entities and their content hash.</summary>
public sealed class PolicySnapshot
{
    internal PolicySnapshot(PolicySet policies, EntityStore entities, string contentHash, string? source, DateTimeOffset loadedAt)
    {
        Policies = policies;
        Entities = entities;
        ContentHash = contentHash;
        Source = source;
        LoadedAt = loadedAt;
    }

    /// <summary>The policies.</summary>
    public PolicySet Policies { get; }

    /// <summary>The entities.</summary>
    public EntityStore Entities { get; }

    /// <summary><c>sha256:</c> and the hex SHA-256 over the file names and contents that produced this snapshot.</summary>
    public string ContentHash { get; }

    /// <summary>Where the snapshot came from (the policy directory), or null for policies from strings.</summary>
    public string? Source { get; }

    /// <summary>When the snapshot became active.</summary>
    public DateTimeOffset LoadedAt { get; }
}
