namespace Aztp.Grpc;

/// <summary>Protocol options of the gRPC server (shared by every service mapped with them).</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The largest request message accepted, in bytes (default 4 MiB); larger ones end the call RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = Internal.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>The largest response message sent, in bytes, or <see langword="null"/> for no limit (default).</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// When <see langword="true"/>, a handler's exception text is sent to the client in <c>grpc-message</c>.
    /// Default <see langword="false"/>: the client sees only "Exception was thrown by handler."
    /// </summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>The default response encoding (<c>gzip</c>) or <see langword="null"/> for none (default).</summary>
    public string? ResponseCompression { get; set; }

    /// <summary>The interceptor chain, outermost first.</summary>
    public IList<ServerInterceptor> Interceptors { get; } = [];

    internal void Validate()
    {
        if (MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "MaxReceiveMessageSize must be positive.");
        }

        if (MaxSendMessageSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), MaxSendMessageSize, "MaxSendMessageSize must be positive or null.");
        }

        if (ResponseCompression is not null && !Internal.GrpcProtocol.IsSupportedEncoding(ResponseCompression))
        {
            throw new ArgumentException($"ResponseCompression '{ResponseCompression}' is not supported; use 'gzip', 'identity' or null.", nameof(ResponseCompression));
        }
    }
}
