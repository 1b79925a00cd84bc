namespace Aztp.Policy;

/// <summary>
/// The result of authorizing one request: the decision, the policies that determined it and the policies that
/// errored (and were skipped).
/// </summary>
public sealed class AuthorizationResponse
{
    private static readonly CedarPolicy[] NoPolicies = [];
    private static readonly PolicyEvaluationError[] NoErrors = [];

    /// <summary>The shared response for "no policy applied" (default deny) without errors.</summary>
    internal static readonly AuthorizationResponse DefaultDeny = new(Decision.Deny, NoPolicies, NoErrors);

    private readonly string? _explanation;

    // Derived once per response: Cedar's single-policy responses are shared across calls (see CedarPolicy), so a
    // decision's names and reason are not rebuilt for every event. Races only compute the same value twice.
    private IReadOnlyList<string>? _policyNames;
    private string? _generatedExplanation;

    /// <summary>Creates a response for an engine without Cedar policy objects (for example a remote decision point).</summary>
    /// <param name="decision">The decision.</param>
    /// <param name="reasons">Ids of whatever determined the decision (may be empty).</param>
    /// <param name="explanation">A human-readable reason, or null for a generated one.</param>
    public AuthorizationResponse(Decision decision, IReadOnlyList<string> reasons, string? explanation)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        Decision = decision;
        DeterminingPolicies = NoPolicies;
        Reasons = reasons;
        Errors = NoErrors;
        _explanation = explanation;
    }

    internal AuthorizationResponse(Decision decision, IReadOnlyList<CedarPolicy> determining, IReadOnlyList<PolicyEvaluationError>? errors)
    {
        Decision = decision;
        DeterminingPolicies = determining;
        Errors = errors ?? NoErrors;
        var ids = new string[determining.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = determining[i].Id;
        }
        Reasons = ids;
    }

    /// <summary>Allow or deny.</summary>
    public Decision Decision { get; }

    /// <summary>True when <see cref="Decision"/> is <see cref="Policy.Decision.Allow"/>.</summary>
    public bool IsAllowed => Decision == Decision.Allow;

    /// <summary>
    /// The satisfied policies that determined the decision: the satisfied forbids on deny, the satisfied permits
    /// on allow, none on default deny.
    /// </summary>
    public IReadOnlyList<CedarPolicy> DeterminingPolicies { get; }

    /// <summary>The ids of <see cref="DeterminingPolicies"/> (Cedar's "reason").</summary>
    public IReadOnlyList<string> Reasons { get; }

    /// <summary>
    /// The names of the determining policies for events and logs: each policy's <c>@id</c> annotation when present,
    /// else its id (<see cref="CedarPolicy.DisplayName"/>); the <see cref="Reasons"/> for non-Cedar engines.
    /// </summary>
    public IReadOnlyList<string> PolicyNames
    {
        get
        {
            if (DeterminingPolicies.Count == 0)
            {
                return Reasons;
            }
            if (_policyNames is { } cached)
            {
                return cached;
            }
            var names = new string[DeterminingPolicies.Count];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = DeterminingPolicies[i].DisplayName;
            }
            _policyNames = Array.AsReadOnly(names);
            return _policyNames;
        }
    }

    /// <summary>Policies that failed to evaluate and were skipped.</summary>
    public IReadOnlyList<PolicyEvaluationError> Errors { get; }

    /// <summary>
    /// A human-readable reason: the determining policy's <c>@reason</c> annotation, else a generated one naming the
    /// determining policies by <see cref="CedarPolicy.DisplayName"/>.
    /// </summary>
    public string Explain()
    {
        return _explanation ?? (_generatedExplanation ??= Generate());
    }

    private string Generate()
    {
        if (DeterminingPolicies.Count == 0 && Reasons.Count > 0)
        {
            return $"{(Decision == Decision.Allow ? "allowed" : "denied")} by {string.Join(", ", Reasons)}";
        }
        if (DeterminingPolicies.Count == 0)
        {
            return Errors.Count == 0 ? "no policy permits the request (default deny)" : $"no policy permits the request (default deny); {Errors.Count} policy error(s)";
        }
        foreach (var p in DeterminingPolicies)
        {
            if (!string.IsNullOrEmpty(p.Reason))
            {
                return p.Reason;
            }
        }
        var names = string.Join(", ", DeterminingPolicies.Select(p => p.DisplayName));
        return Decision == Decision.Allow ? $"permitted by {names}" : $"forbidden by {names}";
    }
}
