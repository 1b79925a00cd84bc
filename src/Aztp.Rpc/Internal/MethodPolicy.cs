using Google.Protobuf;

namespace Aztp.Rpc.Internal;

/// <summary>How one method is authorized: its Cedar action and the request attributes exposed to the context.</summary>
internal sealed record MethodPolicy(string Action, Func<IMessage, IEnumerable<KeyValuePair<string, object?>>>? Attributes);
