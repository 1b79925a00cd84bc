namespace Aztp.Policy;

/// <summary>The outcome of an authorization.</summary>
public enum Decision
{
    /// <summary>Denied: a forbid policy was satisfied, or no permit policy was (default deny).</summary>
    Deny,

    /// <summary>Allowed: at least one permit policy and no forbid policy was satisfied.</summary>
    Allow,
}
