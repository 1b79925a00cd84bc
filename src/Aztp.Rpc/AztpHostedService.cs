using Microsoft.Extensions.Hosting;

namespace Aztp.Rpc;

/// <summary>
/// Runs <see cref="AztpAgent.SecureConnect"/> when the host starts (and serves the agent's services when a URL is
/// given), and disposes the secured agent when the host stops. Registered by
/// <see cref="AztpServiceCollectionExtensions.AddAztp"/>; inject it to reach <see cref="Agent"/>.
/// </summary>
public sealed class AztpHostedService : IHostedService, IAsyncDisposable
{
    private readonly AgentDefinition _agent;
    private readonly AztpOptions _options;
    private readonly string? _serveUrl;
    private SecuredAgent? _secured;

    /// <summary>Creates the service.</summary>
    /// <param name="agent">The agent to secure.</param>
    /// <param name="options">The options for <see cref="AztpAgent.SecureConnect"/>.</param>
    /// <param name="serveUrl">Where to serve the agent's services (e.g. <c>https://0.0.0.0:8443</c>), or <see langword="null"/> for a client-only agent.</param>
    public AztpHostedService(AgentDefinition agent, AztpOptions options, string? serveUrl = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        _agent = agent;
        _options = options;
        _serveUrl = serveUrl;
    }

    /// <summary>The secured agent once the host has started.</summary>
    /// <exception cref="InvalidOperationException">The host has not started yet.</exception>
    public SecuredAgent Agent => _secured ?? throw new InvalidOperationException("The Aztp agent is not started yet; it starts with the host.");

    /// <summary>Secures the agent and, when a URL was given, starts serving.</summary>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>A task that completes when the agent is ready.</returns>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var secured = await AztpAgent.SecureConnect(_agent, _options, cancellationToken).ConfigureAwait(false);
        try
        {
            if (_serveUrl is not null)
            {
                await secured.StartServerAsync(_serveUrl, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await secured.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _secured = secured;
    }

    /// <summary>Stops serving and drains the agent's events.</summary>
    /// <param name="cancellationToken">Unused: shutdown drains within <see cref="Core.MonitoringOptions.ShutdownTimeout"/>.</param>
    /// <returns>A task that completes when the agent is released.</returns>
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <summary>Releases the secured agent (idempotent).</summary>
    /// <returns>A task that completes when the agent is released.</returns>
    public async ValueTask DisposeAsync()
    {
        var secured = Interlocked.Exchange(ref _secured, null);
        if (secured is not null)
        {
            await secured.DisposeAsync().ConfigureAwait(false);
        }
    }
}
