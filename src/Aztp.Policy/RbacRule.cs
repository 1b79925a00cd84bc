using System.Text;

namespace Aztp.Policy;

/// <summary>One rule of an <see cref="RbacPolicyBuilder"/>; every method narrows the rule and returns it.</summary>
public sealed class RbacRule
{
    private readonly PolicyEffect _effect;
    private readonly EntityUid? _principal;
    private readonly bool _group;
    private readonly List<string> _methods = [];
    private readonly List<string> _conditions = [];
    private EntityUid? _resource;
    private string? _id;
    private string? _reason;

    internal RbacRule(PolicyEffect effect, EntityUid? principal, bool group)
    {
        _effect = effect;
        _principal = principal;
        _group = group;
    }

    /// <summary>Limits the rule to these methods (<c>Action::"name"</c>); without it the rule covers every method.</summary>
    public RbacRule ToCall(params string[] methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        foreach (var m in methods)
        {
            ArgumentException.ThrowIfNullOrEmpty(m, nameof(methods));
            _methods.Add(m);
        }
        return this;
    }

    /// <summary>Limits the rule to one callee agent (by SPIFFE ID).</summary>
    public RbacRule On(string calleeSpiffeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(calleeSpiffeId);
        _resource = new EntityUid(AuthorizationRequest.AgentType, calleeSpiffeId);
        return this;
    }

    /// <summary>Adds an attribute condition in Cedar syntax, e.g. <c>context.amount &lt; 10000</c> (checked by <see cref="RbacPolicyBuilder.Build"/>).</summary>
    public RbacRule When(string cedarCondition)
    {
        ArgumentException.ThrowIfNullOrEmpty(cedarCondition);
        _conditions.Add(cedarCondition);
        return this;
    }

    /// <summary>Sets the <c>@id</c> annotation that names the rule in events and reasons.</summary>
    public RbacRule WithId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        _id = id;
        return this;
    }

    /// <summary>Sets the <c>@reason</c> annotation reported when the rule determines a decision.</summary>
    public RbacRule WithReason(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _reason = reason;
        return this;
    }

    internal void AppendTo(StringBuilder sb)
    {
        if (_id is not null)
        {
            sb.Append("@id(").Append(Quote(_id)).Append(")\n");
        }
        if (_reason is not null)
        {
            sb.Append("@reason(").Append(Quote(_reason)).Append(")\n");
        }
        sb.Append(_effect == PolicyEffect.Permit ? "permit" : "forbid").Append("(\n  principal");
        if (_principal is not null)
        {
            sb.Append(_group ? " in " : " == ").Append(_principal);
        }
        sb.Append(",\n  action");
        if (_methods.Count == 1)
        {
            sb.Append(" == ").Append(new EntityUid(AuthorizationRequest.ActionType, _methods[0]));
        }
        else if (_methods.Count > 1)
        {
            sb.Append(" in [").AppendJoin(", ", _methods.Select(m => new EntityUid(AuthorizationRequest.ActionType, m))).Append(']');
        }
        sb.Append(",\n  resource");
        if (_resource is not null)
        {
            sb.Append(" == ").Append(_resource);
        }
        sb.Append("\n)");
        foreach (var c in _conditions)
        {
            sb.Append("\nwhen { ").Append(c).Append(" }");
        }
        sb.Append(";\n\n");
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        EntityUid.AppendEscaped(sb, s);
        return sb.Append('"').ToString();
    }
}
