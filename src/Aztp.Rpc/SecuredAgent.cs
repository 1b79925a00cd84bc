using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Policy;
using Aztp.Rpc.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aztp.Rpc;

/// <summary>
/// An agent made a zero-trust participant by <see cref="AztpAgent.SecureConnect"/>: it serves its services over
/// mutual TLS with its current X.509-SVID and authorizes every call with Cedar, calls other agents over mutual TLS
/// and checks their SPIFFE IDs, and reports every step as a security event. Dispose it to stop serving, stop
/// watching keys and policies, and drain the event pipeline.
/// </summary>
public sealed class SecuredAgent : IAsyncDisposable
{
    private readonly AgentDefinition _agent;
    private readonly SecuredAgentCore _core;
    private readonly PolicyStore? _ownedStore;
    private readonly Lock _gate = new();
    private readonly List<GrpcChannel> _channels = [];
    private GrpcServer? _server;
    private int _disposed;

    internal SecuredAgent(AgentDefinition agent, SecuredAgentCore core, PolicyStore? ownedStore)
    {
        _agent = agent;
        _core = core;
        _ownedStore = ownedStore;
    }

    /// <summary>The agent's name (e.g. <c>finance</c>).</summary>
    public string Name => _agent.Name;

    /// <summary>The agent's SPIFFE ID from its current SVID, e.g. <c>spiffe://company.org/finance</c>.</summary>
    public SpiffeId SpiffeId => _core.SpiffeId;

    /// <summary>When the agent's current X.509-SVID expires.</summary>
    public DateTimeOffset SvidExpiresAt => _core.Identity.GetX509Svid().NotAfter;

    /// <summary>The trust bundles (own trust domain and federated ones) peers are validated against.</summary>
    public TrustBundleSet Bundles => _core.Identity.Bundles;

    /// <summary>The agent's security event pipeline (emit your own events through it, or read its statistics).</summary>
    public SecurityMonitor Monitor => _core.Monitor;

    /// <summary>The policy engine that authorizes calls (the policy directory's <see cref="PolicyStore"/> by default).</summary>
    public IPolicyEngine PolicyEngine => _core.Engine;

    /// <summary>The address the agent serves on once <see cref="StartServerAsync"/> has run; otherwise <see langword="null"/>.</summary>
    public Uri? ServerAddress { get; private set; }

    /// <summary>
    /// Serves the agent's services on <paramref name="url"/> (e.g. <c>https://127.0.0.1:8443</c>, port 0 picks a
    /// free port; host <c>*</c> or <c>0.0.0.0</c> listens on all interfaces) over HTTP/2 with TLS: the agent's current
    /// SVID is presented at each handshake, a client certificate is required and validated against
    /// <see cref="Bundles"/> (never the OS store), and every call runs the identity → policy → handler chain.
    /// </summary>
    /// <param name="url">An <c>https</c> URL with an IP address, <c>localhost</c>, <c>*</c> or <c>0.0.0.0</c> as host.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The address actually served, with the chosen port.</returns>
    /// <exception cref="ArgumentException">The URL is not an https URL with a usable host.</exception>
    /// <exception cref="InvalidOperationException">The agent serves already, or has no services.</exception>
    public async Task<Uri> StartServerAsync(string url, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (address, port, host) = ParseUrl(url);
        if (_agent.Services.Count == 0)
        {
            throw new InvalidOperationException($"Agent '{Name}' has no services to serve; add them with AgentDefinition.AddService.");
        }

        var options = new GrpcServerOptions();
        options.Interceptors.Add(new ServerSecurityInterceptor(_agent, _core));
        var server = new GrpcServer(options)
        {
            ListenAddress = address,
            RequestedPort = port,
            Tls = new GrpcServerTlsOptions
            {
                // The current SVID at each handshake: a rotated SVID is served on the next connection, no restart.
                ServerCertificateSelector = _ => _core.Identity.GetX509Svid().Certificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = ValidateClient,
            },
        };
        foreach (var service in _agent.Services)
        {
            server.AddService(service);
        }

        lock (_gate)
        {
            if (_server is not null)
            {
                throw new InvalidOperationException($"Agent '{Name}' already serves on {ServerAddress}.");
            }
            _server = server;
        }
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _server = null;
            }
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        ServerAddress = new Uri($"https://{host}:{server.Port}");
        return ServerAddress;
    }

    /// <summary>
    /// Creates a channel to another agent at <paramref name="address"/>: each handshake presents this agent's current
    /// SVID, validates the server's SVID against <see cref="Bundles"/> and requires its SPIFFE ID to satisfy
    /// <paramref name="serverAuthorizer"/> (<see cref="SpiffeAuthorizer.Id(string)"/>, <see cref="SpiffeAuthorizer.MemberOf"/>,
    /// <see cref="SpiffeAuthorizer.OneOf"/> or <see cref="SpiffeAuthorizer.Matching"/>); otherwise the call fails with
    /// UNAVAILABLE. Calls carry W3C trace context and emit <c>rpc</c> events. The agent disposes its channels.
    /// </summary>
    /// <param name="address">The other agent's https address.</param>
    /// <param name="serverAuthorizer">Which server SPIFFE IDs are acceptable.</param>
    /// <returns>The channel.</returns>
    public GrpcChannel CreateChannel(string address, SpiffeAuthorizer serverAuthorizer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ArgumentNullException.ThrowIfNull(serverAuthorizer);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"'{address}' is not an https URL; secured agents talk over mutual TLS only.", nameof(address));
        }

        var options = new GrpcChannelOptions
        {
            ClientCertificateSelector = _ => _core.Identity.GetX509Svid().Certificate,
            ServerCertificateValidation = (certificate, chain, _) => ValidateServer(certificate, chain, serverAuthorizer),
        };
        options.Interceptors.Add(new ClientSecurityInterceptor(_core.Monitor, uri.Authority));
        var channel = GrpcChannel.ForAddress(uri, options);
        lock (_gate)
        {
            _channels.Add(channel);
        }
        return channel;
    }

    /// <summary>Re-reads the key directory now (changes are also picked up by the watcher); returns whether anything changed.</summary>
    /// <param name="cancellationToken">Cancels the reload.</param>
    /// <returns><see langword="true"/> when the SVID or bundles changed.</returns>
    public Task<bool> ReloadIdentityAsync(CancellationToken cancellationToken = default) => _core.Identity.ReloadAsync(cancellationToken);

    /// <summary>Re-reads the policy directory now (changes are also picked up by the watcher).</summary>
    /// <param name="cancellationToken">Cancels the reload.</param>
    /// <returns>The reload's result.</returns>
    /// <exception cref="InvalidOperationException">Policies come from <see cref="PolicyOptions.Engine"/>, not a directory.</exception>
    public Task<PolicyReloadResult> ReloadPoliciesAsync(CancellationToken cancellationToken = default) =>
        _ownedStore?.ReloadAsync(cancellationToken)
        ?? throw new InvalidOperationException("Policies come from PolicyOptions.Engine; reload them there.");

    /// <summary>Stops serving, closes channels, stops watching keys and policies, and drains the event pipeline.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        GrpcServer? server;
        GrpcChannel[] channels;
        lock (_gate)
        {
            server = _server;
            channels = [.. _channels];
            _channels.Clear();
        }
        if (server is not null)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var channel in channels)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        if (_ownedStore is not null)
        {
            await _ownedStore.DisposeAsync().ConfigureAwait(false);
        }
        await _core.Identity.DisposeAsync().ConfigureAwait(false);
        await _core.Monitor.DisposeAsync().ConfigureAwait(false);
    }

    private bool ValidateClient(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var result = _core.X509Validator.Validate(certificate, Intermediates(certificate, chain));
        if (!result.IsValid)
        {
            Internal.Trace.Post(_core.Monitor, _core.Monitor.Events.IdentityFailed(result.Reason, result.SpiffeId?.ToString(), null, result.Message));
        }
        return result.IsValid;
    }

    private bool ValidateServer(X509Certificate2 certificate, X509Chain? chain, SpiffeAuthorizer authorizer)
    {
        var events = _core.Monitor.Events;
        var result = _core.X509Validator.Validate(certificate, Intermediates(certificate, chain));
        if (!result.IsValid)
        {
            Internal.Trace.Post(_core.Monitor, events.IdentityFailed(result.Reason, result.SpiffeId?.ToString(), null, result.Message));
            return false;
        }
        if (!authorizer.Authorize(result.SpiffeId))
        {
            Internal.Trace.Post(_core.Monitor, events.IdentityFailed(PeerVerificationResult.NotAuthorizedReason, result.SpiffeId!.ToString(), null,
                $"server {result.SpiffeId} is not {authorizer.Description}"));
            return false;
        }
        Internal.Trace.Post(_core.Monitor, events.IdentityVerified(result.SpiffeId!.ToString()));
        return true;
    }

    private static List<X509Certificate2>? Intermediates(X509Certificate2 leaf, X509Chain? chain)
    {
        if (chain is null || chain.ChainPolicy.ExtraStore.Count == 0)
        {
            return null;
        }
        var list = new List<X509Certificate2>(chain.ChainPolicy.ExtraStore.Count);
        foreach (var c in chain.ChainPolicy.ExtraStore)
        {
            if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                list.Add(c);
            }
        }
        return list;
    }

    private static (IPAddress Address, int Port, string Host) ParseUrl(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"'{url}' is not an https URL; secured agents serve over mutual TLS only (for example https://127.0.0.1:8443).", nameof(url));
        }
        if (uri.IsDefaultPort && !url.Contains(":443", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{url}' has no port; give one explicitly (0 picks a free port).", nameof(url));
        }
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (IPAddress.Loopback, uri.Port, "localhost");
        }
        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            throw new ArgumentException($"'{url}': host '{uri.Host}' is not an IP address, localhost or *.", nameof(url));
        }
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : uri.Host;
        return (address, uri.Port, host);
    }
}
