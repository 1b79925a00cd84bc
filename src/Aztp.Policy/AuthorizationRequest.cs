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

    /// <summary>The entity type of agents: <c>Agent::"&lt;SPIFFE ID&gt;"</c>.</summary>
    public const string AgentType = "Agent";

    /// <summary>The entity type of methods: <c>Action::"&lt;method name&gt;"</c>.</summary>
    public const string ActionType = "Action";

    /// <summary>
    /// The request for one agent-to-agent call, per the Aztp entity mapping: principal
    /// <c>Agent::"&lt;caller SPIFFE ID&gt;"</c>, action <c>Action::"&lt;method&gt;"</c>, resource
    /// <c>Agent::"&lt;callee SPIFFE ID&gt;"</c>.
    /// </summary>
    /// <param name="callerSpiffeId">The verified caller's SPIFFE ID.</param>
    /// <param name="method">The method's policy name, e.g. <c>calculate-tax</c>.</param>
    /// <param name="calleeSpiffeId">This agent's SPIFFE ID.</param>
    /// <param name="context">Call facts (trustDomain, method, ip, time, traceId, request attributes).</param>
    public static AuthorizationRequest ForAgentCall(string callerSpiffeId, string method, string calleeSpiffeId, CedarContext? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerSpiffeId);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(calleeSpiffeId);
        return new AuthorizationRequest(new EntityUid(AgentType, callerSpiffeId), new EntityUid(ActionType, method),
            new EntityUid(AgentType, calleeSpiffeId), context ?? CedarContext.Empty);
    }
}
