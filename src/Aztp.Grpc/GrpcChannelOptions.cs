using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Grpc;

/// <summary>Options of a <see cref="GrpcChannel"/>. Every default is noted on its property.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>The largest response message accepted, in bytes (default 4 MiB); larger ones end the call RESOURCE_EXHAUSTED.</summary>
    public int? MaxReceiveMessageSize { get; set; } = Internal.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>The largest request message sent, in bytes, or <see langword="null"/> for no limit (default).</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>The request message encoding (<c>gzip</c>) or <see langword="null"/> for none (default).</summary>
    public string? RequestCompression { get; set; }

    /// <summary>The client interceptor chain, outermost first.</summary>
    public IList<ClientInterceptor> Interceptors { get; } = [];

    /// <summary>
    /// Chooses the client certificate (with private key) for each TLS handshake; the argument is the target host.
    /// Returning <see langword="null"/> presents none. Pooled connections keep the certificate they were opened with.
    /// </summary>
    public Func<string, X509Certificate2?>? ClientCertificateSelector { get; set; }

    /// <summary>
    /// Decides whether the server's certificate is accepted. When not set, the platform's default validation applies
    /// (OS trust store and host name).
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? ServerCertificateValidation { get; set; }

    /// <summary>
    /// Overrides the <c>:authority</c> and the TLS host name (SNI and the name check) of every call, e.g. when the
    /// server's certificate names a host other than the address dialled. Default <see langword="null"/>.
    /// </summary>
    public string? ServerNameOverride { get; set; }

    /// <summary>Connects to this Unix domain socket instead of the address's host and port. Default <see langword="null"/>.</summary>
    public string? UnixDomainSocketPath { get; set; }

    /// <summary>
    /// Whether the channel may open more HTTP/2 connections when the server's stream limit is reached (default
    /// <see langword="true"/>).
    /// </summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    /// <summary>
    /// A caller-built HTTP handler to send calls through instead of the channel's own <see cref="System.Net.Http.SocketsHttpHandler"/>.
    /// When set, the TLS and socket options above must not be set. Default <see langword="null"/>.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/> (default <see langword="true"/>).</summary>
    public bool DisposeHttpHandler { get; set; } = true;
}
