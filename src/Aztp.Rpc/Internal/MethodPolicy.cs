using Aztp.Policy;
using Google.Protobuf;

namespace Aztp.Rpc.Internal;

/// <summary>How one method is authorized: its Cedar action and the request attributes exposed to the context.</summary>
internal sealed record MethodPolicy(string Action, Func<IMessage, IEnumerable<KeyValuePair<string, object?>>>? Attributes)
{
    /// <summary>The action as a Cedar entity (<c>Action::"calculate-tax"</c>), built once per method.</summary>
    public EntityUid ActionUid { get; } = new(AuthorizationRequest.ActionType, Action);
}
