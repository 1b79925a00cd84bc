using Aztp.Policy;
using Google.Protobuf;

namespace Aztp.Rpc.Internal;

/// <summary>How one method is authorized: its Cedar action and the request attributes exposed to the context.</summary>
internal sealed record MethodPolicy(string Action, Func<IMessage, IEnumerable<KeyValuePair<string, object?>>>? Attributes)
{
    /// <summary>The action as a Cedar entity (<c>Action::"calculate-tax"</c>), built once per method.</summary>
    public EntityUid ActionUid { get; } = new(AuthorizationRequest.ActionType, Action);

    /// <summary>The full gRPC method (<c>/pkg.Service/Method</c>) this policy is bound to, once bound.</summary>
    public string? FullMethod { get; private init; }

    /// <summary>The full method as the context's <c>method</c> value, converted once per method.</summary>
    public CedarValue? MethodValue { get; private init; }

    /// <summary>This policy bound to one full method name.</summary>
    public MethodPolicy ForMethod(string fullMethod) => this with { FullMethod = fullMethod, MethodValue = CedarValue.String(fullMethod) };
}
