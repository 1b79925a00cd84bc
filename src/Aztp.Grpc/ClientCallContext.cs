namespace Aztp.Grpc;

/// <summary>What a client interceptor knows about a call before it is sent.</summary>
public sealed class ClientCallContext
{
    internal ClientCallContext(string method, MethodType type, Uri address, Metadata requestHeaders, DateTime? deadline)
    {
        Method = method;
        Type = type;
        Address = address;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
    }

    /// <summary>The full method path, e.g. <c>/grpc.testing.TestService/UnaryCall</c>.</summary>
    public string Method { get; }

    /// <summary>The kind of method.</summary>
    public MethodType Type { get; }

    /// <summary>The channel's address.</summary>
    public Uri Address { get; }

    /// <summary>The request metadata; interceptors may add entries (e.g. a W3C <c>traceparent</c>).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>The UTC deadline, or <see langword="null"/>.</summary>
    public DateTime? Deadline { get; }

    /// <summary>A per-call property bag, shared between an interceptor's start and completion callbacks.</summary>
    public IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();
}
