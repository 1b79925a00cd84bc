using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Aztp.Grpc.Internal;
using Google.Protobuf;

namespace Aztp.Grpc;

/// <summary>
/// A client channel to one gRPC server over HTTP/2 (SocketsHttpHandler): connections are pooled and reused, more are
/// opened when a connection's stream limit is reached. Create one per server and share it; it is thread-safe.
/// </summary>
public sealed class GrpcChannel : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);
    private readonly bool _disposeInvoker;
    private int _disposed;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        if (options.HttpHandler is { } handler)
        {
            if (options.ClientCertificateSelector is not null || options.ServerCertificateValidation is not null || options.UnixDomainSocketPath is not null)
            {
                throw new ArgumentException("GrpcChannelOptions.HttpHandler cannot be combined with the TLS or Unix socket options; configure the handler instead.", nameof(options));
            }

            Invoker = new HttpMessageInvoker(handler, options.DisposeHttpHandler);
        }
        else
        {
            Invoker = new HttpMessageInvoker(CreateHandler(address, options), disposeHandler: true);
        }

        _disposeInvoker = true;
    }

    /// <summary>The server address, e.g. <c>https://localhost:5001</c>.</summary>
    public Uri Address { get; }

    internal GrpcChannelOptions Options { get; }

    internal HttpMessageInvoker Invoker { get; }

    /// <summary>Creates a channel.</summary>
    /// <param name="address">The server address: <c>http://host:port</c> (h2c) or <c>https://host:port</c> (TLS).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    /// <returns>The channel.</returns>
    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{address}' is not an absolute URI such as http://localhost:5000.", nameof(address));
        }

        return ForAddress(uri, options);
    }

    /// <summary>Creates a channel.</summary>
    /// <param name="address">The server address: <c>http://host:port</c> (h2c) or <c>https://host:port</c> (TLS).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    /// <returns>The channel.</returns>
    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{address}' must be an absolute http:// or https:// URI.", nameof(address));
        }

        options ??= new GrpcChannelOptions();
        if (options.MaxReceiveMessageSize is <= 0 || options.MaxSendMessageSize is <= 0)
        {
            throw new ArgumentException("MaxReceiveMessageSize and MaxSendMessageSize must be positive or null.", nameof(options));
        }

        if (options.RequestCompression is { } encoding && !GrpcProtocol.IsSupportedEncoding(encoding))
        {
            throw new ArgumentException($"RequestCompression '{encoding}' is not supported; use 'gzip', 'identity' or null.", nameof(options));
        }

        return new GrpcChannel(address, options);
    }

    /// <summary>Starts a unary call.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="request">The request.</param>
    /// <param name="options">Metadata, deadline, cancellation.</param>
    /// <returns>The call.</returns>
    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = CreateCall(method, MethodType.Unary, options);
        call.Start(request);
        return new AsyncUnaryCall<TResponse>(call, call.ReadSingleResponseAsync<TResponse>());
    }

    /// <summary>Starts a server-streaming call.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="request">The request.</param>
    /// <param name="options">Metadata, deadline, cancellation.</param>
    /// <returns>The call.</returns>
    public AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = CreateCall(method, MethodType.ServerStreaming, options);
        call.Start(request);
        return new AsyncServerStreamingCall<TResponse>(call);
    }

    /// <summary>Starts a client-streaming call.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="options">Metadata, deadline, cancellation.</param>
    /// <returns>The call.</returns>
    public AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = CreateCall(method, MethodType.ClientStreaming, options);
        call.Start(null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, call.ReadSingleResponseAsync<TResponse>());
    }

    /// <summary>Starts a bidirectional-streaming call.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="options">Metadata, deadline, cancellation.</param>
    /// <returns>The call.</returns>
    public AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = CreateCall(method, MethodType.DuplexStreaming, options);
        call.Start(null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _disposeInvoker)
        {
            Invoker.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal Uri GetMethodUri(string fullName) => _uris.GetOrAdd(fullName, static (name, address) => new Uri(address, name), Address);

    private ClientCall CreateCall<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected, CallOptions options)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Method '{method.FullName}' is {method.Type}; it cannot be called as {expected}.", nameof(method));
        }

        return new ClientCall(this, method.FullName, method.Type, method.ResponseParser, options);
    }

    private static SocketsHttpHandler CreateHandler(Uri address, GrpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };

        var tlsConfigured = options.ClientCertificateSelector is not null || options.ServerCertificateValidation is not null;
        if (tlsConfigured && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"TLS options are set but the address '{address}' is not https://.", nameof(address));
        }

        if (address.Scheme == Uri.UriSchemeHttps)
        {
            var ssl = new SslClientAuthenticationOptions();
            if (options.ClientCertificateSelector is { } select)
            {
                ssl.LocalCertificateSelectionCallback = (_, targetHost, _, _, _) => select(targetHost);
            }

            if (options.ServerCertificateValidation is { } validate)
            {
                ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => certificate switch
                {
                    X509Certificate2 cert => validate(cert, chain, errors),
                    null => false,
                    _ => ValidateCopy(validate, certificate, chain, errors),
                };
            }

            handler.SslOptions = ssl;
        }

        if (options.UnixDomainSocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    private static bool ValidateCopy(Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> validate, X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        using var copy = new X509Certificate2(certificate);
        return validate(copy, chain, errors);
    }
}
