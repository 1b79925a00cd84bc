namespace Aztp.Policy;

/// <summary>A Cedar authorization request: who (principal) does what (action) to what (resource), in which context.</summary>
/// <param name="Principal">The caller, e.g. <c>Agent::"spiffe://company.org/agent/client"</c>.</param>
/// <param name="Action">The operation, e.g. <c>Action::"calculate-tax"</c>.</param>
/// <param name="Resource">The target, e.g. <c>Agent::"spiffe://company.org/agent/finance"</c>.</param>
/// <param name="Context">Request facts; <see cref="CedarContext.Empty"/> when none.</param>
public sealed record AuthorizationRequest(EntityUid Principal, EntityUid Action, EntityUid Resource, CedarContext Context)
{
    /// <summary>Creates a request with an empty context.</summary>
    public AuthorizationRequest(EntityUid principal, EntityUid action, EntityUid resource)
        : this(principal, action, resource, CedarContext.Empty)
    {
    }
}
