using System.Net;
using System.Security.Cryptography.X509Certificates;
using Aztp.Grpc.Internal;
using Google.Protobuf;

namespace Aztp.Grpc;

/// <summary>
/// What a server handler and the server interceptors know about one call: method, metadata, peer, deadline,
/// cancellation, and the response status and trailers they set.
/// </summary>
public sealed class ServerCallContext
{
    private readonly ServerCall _call;
    private Dictionary<object, object?>? _items;
    private string? _peer;
    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;

    internal ServerCallContext(ServerCall call, string method, string host, DateTime? deadline, CancellationToken cancellationToken)
    {
        _call = call;
        Method = method;
        Host = host;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        var connection = call.HttpContext.Connection;
        RemoteIpAddress = connection.RemoteIpAddress;
        RemotePort = connection.RemotePort;
        ClientCertificate = connection.ClientCertificate;
    }

    /// <summary>The call this context belongs to.</summary>
    internal ServerCall Call => _call;

    /// <summary>The full method path, e.g. <c>/grpc.testing.TestService/UnaryCall</c>.</summary>
    public string Method { get; }

    /// <summary>The <c>:authority</c> the client addressed.</summary>
    public string Host { get; }

    /// <summary>The peer in gRPC's URI form, e.g. <c>ipv4:127.0.0.1:51234</c>, or <c>unknown</c> (Unix sockets).</summary>
    public string Peer => _peer ??= RemoteIpAddress switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{RemotePort}",
        var ip => $"ipv4:{ip}:{RemotePort}",
    };

    /// <summary>The peer's IP address, or <see langword="null"/> when not on IP (Unix domain sockets).</summary>
    public IPAddress? RemoteIpAddress { get; }

    /// <summary>The peer's port (0 when not on IP).</summary>
    public int RemotePort { get; }

    /// <summary>The client certificate presented in the TLS handshake, or <see langword="null"/>.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>The UTC deadline from <c>grpc-timeout</c>, or <see langword="null"/> when the client set none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>The request metadata, including transport headers such as <c>grpc-encoding</c> (pseudo-headers excluded).</summary>
    public Metadata RequestHeaders => _requestHeaders ??= _call.ReadRequestHeaders();

    /// <summary>
    /// The value of one ASCII request header, as <c>RequestHeaders.GetValue(key)</c> would return it (the first value
    /// that is valid gRPC metadata), without building <see cref="RequestHeaders"/> when it has not been read yet.
    /// </summary>
    /// <param name="key">The header name (case-insensitive); not a <c>-bin</c> key.</param>
    /// <returns>The value, or <see langword="null"/> when absent.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or ends in <c>-bin</c>.</exception>
    public string? GetRequestHeader(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (Metadata.IsBinaryKey(key))
        {
            throw new ArgumentException($"'{key}' is a binary key; read RequestHeaders.GetValueBytes.", nameof(key));
        }
        if (_requestHeaders is not null || key.StartsWith(':') || key.Equals("te", StringComparison.OrdinalIgnoreCase))
        {
            return RequestHeaders.GetValue(key);
        }
        foreach (var value in _call.HttpContext.Request.Headers[key])
        {
            if (value is not null && Metadata.Entry.IsPrintableAscii(value))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>Fires when the client cancels the call, the connection drops or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The trailers sent with the final status.</summary>
    public Metadata ResponseTrailers => _responseTrailers ??= new Metadata();

    internal Metadata? ResponseTrailersIfAny => _responseTrailers;

    /// <summary>The status sent when the handler completes normally (default OK).</summary>
    public Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>
    /// The response message encoding (<c>gzip</c>) or <see langword="null"/> for none; applied only when the client
    /// listed it in <c>grpc-accept-encoding</c>. Set it before the first response message is written.
    /// </summary>
    public string? ResponseCompression
    {
        get => _call.ResponseCompression;
        set => _call.ResponseCompression = value;
    }

    /// <summary>
    /// The request message of a unary or server-streaming call, read before the interceptor chain runs so that
    /// interceptors can inspect it; <see langword="null"/> for client-streaming and duplex calls.
    /// </summary>
    public IMessage? Request { get; internal set; }

    /// <summary>A per-call property bag for interceptors and handlers.</summary>
    public IDictionary<object, object?> Items => _items ??= [];

    /// <summary>Sends the response headers now, with custom metadata. May be called at most once, before any message.</summary>
    /// <param name="responseHeaders">The custom metadata to send.</param>
    /// <returns>A task that completes when the headers are flushed.</returns>
    /// <exception cref="InvalidOperationException">The headers were already sent.</exception>
    public Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        return _call.WriteResponseHeadersAsync(responseHeaders);
    }
}
