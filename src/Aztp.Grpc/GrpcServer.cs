using System.Net;
using Aztp.Grpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace Aztp.Grpc;

/// <summary>
/// A self-contained gRPC server: Kestrel speaking HTTP/2 only (h2c in plaintext, ALPN h2 under TLS) with the given
/// services mapped. For an existing ASP.NET Core app use <see cref="GrpcEndpointRouteBuilderExtensions"/> instead.
/// </summary>
public sealed class GrpcServer : IAsyncDisposable
{
    private readonly List<GrpcServiceDefinition> _services = [];
    private readonly GrpcServerOptions _options;
    private WebApplication? _app;
    private int _maxStreams = 100;
    private int _disposed;

    /// <summary>Creates a server; add services, then call <see cref="StartAsync"/>.</summary>
    /// <param name="options">Protocol options and interceptors; defaults when <see langword="null"/>.</param>
    public GrpcServer(GrpcServerOptions? options = null)
    {
        _options = options ?? new GrpcServerOptions();
    }

    /// <summary>The IP address to listen on (default <see cref="IPAddress.Loopback"/>).</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 (default) lets the OS choose, read the result from <see cref="Port"/>.</summary>
    public int RequestedPort { get; set; }

    /// <summary>A Unix domain socket path to listen on instead of TCP, or <see langword="null"/>.</summary>
    public string? UnixSocketPath { get; set; }

    /// <summary>TLS settings, or <see langword="null"/> for plaintext HTTP/2 (h2c).</summary>
    public GrpcServerTlsOptions? Tls { get; set; }

    /// <summary>
    /// The most calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; default 100,
    /// 1 to 65,536). A client past the limit queues further calls or opens another connection; it bounds what one peer
    /// can make this server hold.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set outside 1 to 65,536.</exception>
    public int MaxConcurrentStreamsPerConnection
    {
        get => _maxStreams;
        set => _maxStreams = value is >= 1 and <= 65_536 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxConcurrentStreamsPerConnection must be between 1 and 65,536.");
    }

    /// <summary>The bound TCP port after <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Adds a service. Must be called before <see cref="StartAsync"/>.</summary>
    /// <param name="service">The service.</param>
    /// <returns>This server.</returns>
    public GrpcServer AddService(GrpcServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (_app is not null)
        {
            throw new InvalidOperationException("Services must be added before the server starts.");
        }

        _services.Add(service);
        return this;
    }

    /// <summary>Binds the listener and starts serving.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server is listening.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_app is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        _options.Validate();
        Tls?.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = MaxConcurrentStreamsPerConnection;
            if (UnixSocketPath is not null)
            {
                kestrel.ListenUnixSocket(UnixSocketPath, ConfigureListener);
            }
            else
            {
                kestrel.Listen(ListenAddress, RequestedPort, ConfigureListener);
            }
        });

        var app = builder.Build();
        app.UseRouting();
        foreach (var service in _services)
        {
            app.MapGrpcService(service, _options);
        }

        app.MapGrpcUnimplemented(_options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        if (UnixSocketPath is null)
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            foreach (var address in addresses)
            {
                Port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
                break;
            }
        }
    }

    /// <summary>Stops accepting calls and waits for running ones (up to the host's shutdown timeout).</summary>
    /// <param name="cancellationToken">Ends the graceful wait early.</param>
    /// <returns>A task that completes when stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_app is { } app)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Running calls were aborted after the grace period.
            }

            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void ConfigureListener(ListenOptions listen)
    {
        // PROTOCOL-HTTP2: HTTP/2 only. Plaintext is prior-knowledge h2c; under TLS ALPN offers h2 alone.
        listen.Protocols = HttpProtocols.Http2;
        if (Tls is { } tls)
        {
            var https = new HttpsConnectionAdapterOptions
            {
                ClientCertificateMode = tls.ClientCertificateMode,
                SslProtocols = tls.EnabledProtocols,
            };
            if (tls.ServerCertificateSelector is { } selector)
            {
                https.ServerCertificateSelector = (_, name) => selector(name);
            }
            else
            {
                https.ServerCertificate = tls.ServerCertificate;
            }

            if (tls.ClientCertificateValidation is { } validate)
            {
                https.ClientCertificateValidation = validate;
            }

            listen.UseHttps(https);
        }
    }
}
