namespace Aztp.Core;

/// <summary>Who performed the action an event records.</summary>
/// <param name="Type">The kind of actor: <c>agent</c>, <c>service</c>, <c>system</c> or <c>unknown</c>.</param>
/// <param name="Id">The actor's identifier, normally a SPIFFE ID; <see langword="null"/> when unknown.</param>
/// <param name="Ip">The actor's network address, when known.</param>
public sealed record EventActor(string Type, string? Id, string? Ip)
{
    /// <summary>The actor type for a workload identified by a SPIFFE ID.</summary>
    public const string AgentType = "agent";

    /// <summary>The actor type for Aztp itself.</summary>
    public const string SystemType = "system";

    /// <summary>The actor type when the peer could not be identified.</summary>
    public const string UnknownType = "unknown";

    /// <summary>An agent identified by its SPIFFE ID.</summary>
    public static EventActor Agent(string spiffeId, string? ip = null) => new(AgentType, spiffeId, ip);

    /// <summary>A peer whose identity could not be established, known only by address.</summary>
    public static EventActor Unknown(string? ip) => new(UnknownType, null, ip);

    /// <summary>Aztp itself.</summary>
    public static EventActor System { get; } = new(SystemType, null, null);
}
