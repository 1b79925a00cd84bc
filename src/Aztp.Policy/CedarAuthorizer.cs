using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// Cedar's authorization algorithm: a satisfied forbid overrides every permit; without a satisfied permit the answer
/// is deny (default deny); a policy whose evaluation errors is skipped and reported in
/// <see cref="AuthorizationResponse.Errors"/>.
/// </summary>
public static class CedarAuthorizer
{
    private static readonly CandidateVisitor<State> VisitOne = Visit;

    /// <summary>Authorizes one request.</summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="entities">The entities (hierarchy, attributes, tags).</param>
    /// <param name="request">The request. Its context is read (and, when made with a <see cref="CedarContextSource"/>,
    /// built) only when <see cref="PolicySet.ReadsContext"/> of <paramref name="policies"/> is true.</param>
    /// <returns>The decision with its determining policies and errors. Allocation-free when no policy with
    /// conditions is a candidate and at most one policy determines the decision.</returns>
    /// <remarks>An exception thrown by the request's <see cref="CedarContextSource"/> propagates unchanged: the
    /// request cannot be decided, and callers deny.</remarks>
    public static AuthorizationResponse Authorize(PolicySet policies, EntityStore entities, AuthorizationRequest request)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(entities);
        ArgumentNullException.ThrowIfNull(request);
        if (policies.ReadsContext)
        {
            // The set that decides is the one passed here (a store passes the snapshot it took), so a lazy context is
            // built exactly when these policies can read it, before any of them runs: a source that fails then fails
            // the whole decision (the exception reaches the caller, which denies) instead of surfacing mid-evaluation.
            // A set that cannot read it never builds it; were the analysis ever wrong, reading `context` would still
            // build it on demand rather than see an empty record.
            _ = request.Context;
        }
        var state = new State(request, entities);
        policies.Index.ForEachCandidate(request, entities, ref state, VisitOne);
        if (state.Forbid is not null)
        {
            return Respond(policies, Decision.Deny, state.Forbid, state.MoreForbids, state.Errors);
        }
        if (state.Permit is not null)
        {
            return Respond(policies, Decision.Allow, state.Permit, state.MorePermits, state.Errors);
        }
        return state.Errors is null ? AuthorizationResponse.DefaultDeny : new AuthorizationResponse(Decision.Deny, [], state.Errors);
    }

    private static AuthorizationResponse Respond(PolicySet set, Decision decision, CedarPolicy first, List<CedarPolicy>? more, List<PolicyEvaluationError>? errors)
    {
        if (more is null)
        {
            return errors is null ? first.SoleResponse : new AuthorizationResponse(decision, [first], errors);
        }
        more.Add(first);
        SortByTextOrder(set, more);
        return new AuthorizationResponse(decision, more, errors);
    }

    // Kept apart from Respond: a lambda capturing a parameter would allocate its closure on every call.
    private static void SortByTextOrder(PolicySet set, List<CedarPolicy> policies)
    {
        var index = set.Index;
        policies.Sort((a, b) => index.OrdinalOf(a).CompareTo(index.OrdinalOf(b)));
    }

    private static bool Visit(CedarPolicy p, ref State s)
    {
        var store = s.Store;
        var r = s.Request;
        if (!Evaluator.ScopeMatches(p.Action, r.Action, s.ActionAncestors)
            || !Evaluator.ScopeMatches(p.Principal, r.Principal, s.PrincipalAncestors)
            || !Evaluator.ScopeMatches(p.Resource, r.Resource, s.ResourceAncestors))
        {
            return true;
        }
        if (p.Effect == PolicyEffect.Permit && s.Forbid is not null)
        {
            // A forbid already decided; a permit can no longer change the decision, but its errors still count.
            if (p.Conditions.Length == 0)
            {
                return true;
            }
        }
        if (p.Conditions.Length > 0)
        {
            s.Evaluator ??= new Evaluator(r, store);
            try
            {
                if (!s.Evaluator.Conditions(p))
                {
                    return true;
                }
            }
            catch (EvaluationException ex)
            {
                (s.Errors ??= []).Add(new PolicyEvaluationError(p.Id, ex.Message));
                return true;
            }
        }
        if (p.Effect == PolicyEffect.Forbid)
        {
            if (s.Forbid is null)
            {
                s.Forbid = p;
            }
            else
            {
                (s.MoreForbids ??= []).Add(p);
            }
        }
        else if (s.Permit is null)
        {
            s.Permit = p;
        }
        else
        {
            (s.MorePermits ??= []).Add(p);
        }
        return true;
    }

    private struct State(AuthorizationRequest request, EntityStore store)
    {
        public readonly AuthorizationRequest Request = request;
        public readonly EntityStore Store = store;
        public readonly System.Collections.Frozen.FrozenSet<EntityUid> PrincipalAncestors = store.AncestorSet(request.Principal);
        public readonly System.Collections.Frozen.FrozenSet<EntityUid> ActionAncestors = store.AncestorSet(request.Action);
        public readonly System.Collections.Frozen.FrozenSet<EntityUid> ResourceAncestors = store.AncestorSet(request.Resource);
        public Evaluator? Evaluator;
        public CedarPolicy? Permit;
        public List<CedarPolicy>? MorePermits;
        public CedarPolicy? Forbid;
        public List<CedarPolicy>? MoreForbids;
        public List<PolicyEvaluationError>? Errors;
    }
}
