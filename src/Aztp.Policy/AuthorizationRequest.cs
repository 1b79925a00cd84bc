using System.Text;

namespace Aztp.Policy;

/// <summary>
/// A Cedar authorization request: who (principal) does what (action) to what (resource), in which context. The
/// context is either given ready (<see cref="CedarContext"/>) or built on demand by a <see cref="CedarContextSource"/>,
/// so that a request decided by policies that never read <c>context</c> never pays for building it.
/// </summary>
public sealed record AuthorizationRequest
{
    // A ready CedarContext or a CedarContextSource: one field, as the request is made once per call.
    private readonly object _context;

    /// <summary>Creates a request with a ready context.</summary>
    /// <param name="principal">The caller, e.g. <c>Agent::"spiffe://company.org/agent/client"</c>.</param>
    /// <param name="action">The operation, e.g. <c>Action::"calculate-tax"</c>.</param>
    /// <param name="resource">The target, e.g. <c>Agent::"spiffe://company.org/agent/finance"</c>.</param>
    /// <param name="context">Request facts; <see cref="CedarContext.Empty"/> when none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    public AuthorizationRequest(EntityUid principal, EntityUid action, EntityUid resource, CedarContext context)
        : this(principal, action, resource, (object)(context ?? throw new ArgumentNullException(nameof(context))))
    {
    }

    /// <summary>
    /// Creates a request whose context is built by <paramref name="contextSource"/> when, and only when, something
    /// reads <see cref="Context"/>: the Cedar engine does so only after taking the snapshot that decides the request,
    /// and only when that snapshot's <see cref="PolicySet.ReadsContext"/> is true.
    /// </summary>
    /// <param name="principal">The caller.</param>
    /// <param name="action">The operation.</param>
    /// <param name="resource">The target.</param>
    /// <param name="contextSource">Builds the request facts on first read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="contextSource"/> is null.</exception>
    public AuthorizationRequest(EntityUid principal, EntityUid action, EntityUid resource, CedarContextSource contextSource)
        : this(principal, action, resource, (object)(contextSource ?? throw new ArgumentNullException(nameof(contextSource))))
    {
    }

    // The one place the fields are set: a ready CedarContext or a CedarContextSource, checked by the public constructors.
    private AuthorizationRequest(EntityUid principal, EntityUid action, EntityUid resource, object context)
    {
        Principal = principal;
        Action = action;
        Resource = resource;
        _context = context;
    }

    /// <summary>Creates a request with an empty context.</summary>
    /// <param name="principal">The caller.</param>
    /// <param name="action">The operation.</param>
    /// <param name="resource">The target.</param>
    public AuthorizationRequest(EntityUid principal, EntityUid action, EntityUid resource)
        : this(principal, action, resource, CedarContext.Empty)
    {
    }

    /// <summary>The entity type of agents: <c>Agent::"&lt;SPIFFE ID&gt;"</c>.</summary>
    public const string AgentType = "Agent";

    /// <summary>The entity type of methods: <c>Action::"&lt;method name&gt;"</c>.</summary>
    public const string ActionType = "Action";

    /// <summary>The caller, e.g. <c>Agent::"spiffe://company.org/agent/client"</c>.</summary>
    public EntityUid Principal { get; init; }

    /// <summary>The operation, e.g. <c>Action::"calculate-tax"</c>.</summary>
    public EntityUid Action { get; init; }

    /// <summary>The target, e.g. <c>Agent::"spiffe://company.org/agent/finance"</c>.</summary>
    public EntityUid Resource { get; init; }

    /// <summary>
    /// The request facts. For a request made with a <see cref="CedarContextSource"/>, the first read builds the
    /// context and every later read (also of copies made with <c>with</c>) returns the same instance; an exception
    /// from the source propagates to the reader and nothing is kept. Setting it (in a <c>with</c> expression) replaces
    /// the source with a ready context.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="InvalidOperationException">The source returned null or read its own context.</exception>
    public CedarContext Context
    {
        get => _context as CedarContext ?? ((CedarContextSource)_context).GetContext();
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _context = value;
        }
    }

    /// <summary>
    /// True when the context is ready without calling a source: given ready, or already built by its source. Reading
    /// this never builds the context.
    /// </summary>
    public bool IsContextMaterialized => _context is CedarContext || ((CedarContextSource)_context).IsBuilt;

    /// <summary>Deconstructs the request (reading <see cref="Context"/>, which builds a lazy context).</summary>
    /// <param name="principal">The caller.</param>
    /// <param name="action">The operation.</param>
    /// <param name="resource">The target.</param>
    /// <param name="context">The request facts.</param>
    public void Deconstruct(out EntityUid principal, out EntityUid action, out EntityUid resource, out CedarContext context)
    {
        principal = Principal;
        action = Action;
        resource = Resource;
        context = Context;
    }

    // The generated ToString would read Context and so build a lazy context as a side effect of logging or debugging.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Principal = ").Append(Principal)
            .Append(", Action = ").Append(Action)
            .Append(", Resource = ").Append(Resource)
            .Append(", Context = ");
        if (IsContextMaterialized)
        {
            builder.Append(Context);
        }
        else
        {
            builder.Append("(built on first read)");
        }
        return true;
    }

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
