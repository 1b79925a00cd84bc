using System.Text;

namespace Aztp.Policy;

/// <summary>
/// A fluent builder for the common role-based case that writes ordinary Cedar policies, e.g.
/// <code>
/// var rbac = new RbacPolicyBuilder();
/// rbac.Allow("spiffe://company.org/agent/client").ToCall("calculate-tax").WithReason("clients may calculate tax");
/// rbac.AllowGroup("auditors").ToCall("get-report", "list-reports");
/// rbac.Deny("spiffe://company.org/agent/retired");
/// string cedar = rbac.ToCedar();   // or rbac.Build() for a PolicySet
/// </code>
/// Callers are <c>Agent::"&lt;SPIFFE ID&gt;"</c>, groups <c>Group::"&lt;name&gt;"</c> (membership comes from the
/// entities file), methods <c>Action::"&lt;name&gt;"</c>.
/// </summary>
public sealed class RbacPolicyBuilder
{
    /// <summary>The entity type used for groups.</summary>
    public const string GroupType = "Group";

    private readonly List<RbacRule> _rules = [];

    /// <summary>Permits a caller (by SPIFFE ID). Narrow it with <see cref="RbacRule.ToCall"/>, <see cref="RbacRule.On"/>, <see cref="RbacRule.When"/>.</summary>
    public RbacRule Allow(string callerSpiffeId) => Add(PolicyEffect.Permit, new EntityUid(AuthorizationRequest.AgentType, Required(callerSpiffeId)), group: false);

    /// <summary>Permits every member of a group (direct or transitive).</summary>
    public RbacRule AllowGroup(string group) => Add(PolicyEffect.Permit, new EntityUid(GroupType, Required(group)), group: true);

    /// <summary>Permits any caller (narrow it with <see cref="RbacRule.ToCall"/> or <see cref="RbacRule.When"/>).</summary>
    public RbacRule AllowAnyone() => Add(PolicyEffect.Permit, null, group: false);

    /// <summary>Forbids a caller; a forbid overrides every permit.</summary>
    public RbacRule Deny(string callerSpiffeId) => Add(PolicyEffect.Forbid, new EntityUid(AuthorizationRequest.AgentType, Required(callerSpiffeId)), group: false);

    /// <summary>Forbids every member of a group.</summary>
    public RbacRule DenyGroup(string group) => Add(PolicyEffect.Forbid, new EntityUid(GroupType, Required(group)), group: true);

    private static string Required(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return value;
    }

    private RbacRule Add(PolicyEffect effect, EntityUid? principal, bool group)
    {
        var rule = new RbacRule(effect, principal, group);
        _rules.Add(rule);
        return rule;
    }

    /// <summary>The rules as Cedar policy text, one policy per rule, in the order they were added.</summary>
    public string ToCedar()
    {
        var sb = new StringBuilder();
        foreach (var r in _rules)
        {
            r.AppendTo(sb);
        }
        return sb.ToString();
    }

    /// <summary>Parses <see cref="ToCedar"/> into a policy set (this also validates <see cref="RbacRule.When"/> conditions).</summary>
    /// <exception cref="PolicyParseException">A <see cref="RbacRule.When"/> condition is not valid Cedar.</exception>
    public PolicySet Build() => PolicySet.Parse(ToCedar());
}
