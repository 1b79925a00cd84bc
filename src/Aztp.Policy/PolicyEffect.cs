namespace Aztp.Policy;

/// <summary>What a satisfied policy does to the decision.</summary>
public enum PolicyEffect
{
    /// <summary>Allows the request unless a forbid policy is also satisfied.</summary>
    Permit,

    /// <summary>Denies the request; forbid overrides permit.</summary>
    Forbid,
}
