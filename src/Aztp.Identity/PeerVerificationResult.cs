namespace Aztp.Identity;

/// <summary>The outcome of verifying and authorizing a peer: its SPIFFE ID, or a reason code.</summary>
public sealed class PeerVerificationResult
{
    /// <summary>The reason code when the identity was valid but the authorizer refused it.</summary>
    public const string NotAuthorizedReason = "not_authorized";

    internal PeerVerificationResult(bool verified, SpiffeId? spiffeId, string reason, string message)
    {
        IsVerified = verified;
        SpiffeId = spiffeId;
        Reason = reason;
        Message = message;
    }

    /// <summary>Whether the peer's SVID is valid and the authorizer accepted its ID.</summary>
    public bool IsVerified { get; }

    /// <summary>The peer's SPIFFE ID (verified, or claimed when one could be read).</summary>
    public SpiffeId? SpiffeId { get; }

    /// <summary>The snake_case reason (<c>none</c> when verified; a validation reason or <c>not_authorized</c>).</summary>
    public string Reason { get; }

    /// <summary>A short explanation with no certificate or token content.</summary>
    public string Message { get; }
}
