using System.Collections.Frozen;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// One parsed, static Cedar policy: its id, effect, annotations, scope and conditions.
/// Instances come from <see cref="PolicySet.Parse(string, string?)"/>.
/// </summary>
public sealed class CedarPolicy
{
    internal CedarPolicy(
        string id,
        PolicyEffect effect,
        FrozenDictionary<string, string> annotations,
        ScopeConstraint principal,
        ScopeConstraint action,
        ScopeConstraint resource,
        Condition[] conditions,
        string text,
        int line)
    {
        Id = id;
        Effect = effect;
        Annotations = annotations;
        Principal = principal;
        Action = action;
        Resource = resource;
        Conditions = conditions;
        Text = text;
        Line = line;
        ReadsContext = ContextUse.Reads(conditions);
    }

    /// <summary>
    /// The policy id: <c>policy0</c>, <c>policy1</c>, … in text order (Cedar's default naming), optionally with a
    /// prefix chosen by the caller to keep ids unique across files. The <c>@id</c> annotation does not change it;
    /// see <see cref="DisplayName"/>.
    /// </summary>
    public string Id { get; }

    /// <summary>Permit or forbid.</summary>
    public PolicyEffect Effect { get; }

    /// <summary>The policy's annotations (<c>@name("value")</c>; <c>@name</c> alone has the empty value).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; }

    /// <summary>The <c>@id</c> annotation when present, otherwise <see cref="Id"/>: the name used in events and reasons.</summary>
    public string DisplayName => Annotations.TryGetValue("id", out var v) && v.Length > 0 ? v : Id;

    /// <summary>The <c>@reason</c> annotation, or null.</summary>
    public string? Reason => Annotations.TryGetValue("reason", out var v) ? v : null;

    /// <summary>The policy's source text.</summary>
    public string Text { get; }

    /// <summary>The 1-based line where the policy starts in its source.</summary>
    public int Line { get; }

    /// <summary>
    /// True when a condition of the policy names <c>context</c> anywhere (decided once, from the syntax tree, when the
    /// policy is parsed); false means no evaluation of this policy can read the request's context.
    /// </summary>
    public bool ReadsContext { get; }

    /// <summary>True when the policy has no <c>when</c>/<c>unless</c> condition (scope only).</summary>
    public bool IsScopeOnly => Conditions.Length == 0;

    internal ScopeConstraint Principal { get; }

    internal ScopeConstraint Action { get; }

    internal ScopeConstraint Resource { get; }

    internal Condition[] Conditions { get; }

    /// <summary>The response when this policy alone determines the decision, built once (allocation-free fast path).</summary>
    internal AuthorizationResponse SoleResponse => _sole ??= new AuthorizationResponse(
        Effect == PolicyEffect.Permit ? Decision.Allow : Decision.Deny, [this], null);

    private AuthorizationResponse? _sole;

    /// <inheritdoc />
    public override string ToString() => Text;
}
