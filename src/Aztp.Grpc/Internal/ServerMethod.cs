using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>One bound method: its identity, request parser and a type-erased invoker of the user's handler.</summary>
internal sealed class ServerMethod(
    string serviceName,
    string name,
    MethodType type,
    MessageParser requestParser,
    Func<ServerCall, IMessage?, Task<IMessage?>> invoker)
{
    public string ServiceName { get; } = serviceName;

    public string Name { get; } = name;

    public string FullName { get; } = "/" + serviceName + "/" + name;

    public MethodType Type { get; } = type;

    public MessageParser RequestParser { get; } = requestParser;

    /// <summary>Runs the handler. Unary and server-streaming get the request; unary and client-streaming return the response.</summary>
    public Func<ServerCall, IMessage?, Task<IMessage?>> Invoker { get; } = invoker;
}
