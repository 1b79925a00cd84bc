using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aztp.Rpc;

/// <summary>Registers a secured agent in an ASP.NET Core or generic host.</summary>
public static class AztpServiceCollectionExtensions
{
    /// <summary>
    /// Adds an <see cref="AztpHostedService"/> that secures <paramref name="agent"/> when the host starts, serves its
    /// services on <paramref name="serveUrl"/> when given, and releases it when the host stops. The options are
    /// validated here, so a misconfiguration fails at registration rather than at the first call.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="agent">The agent's name and services.</param>
    /// <param name="configure">Sets the options (trust domain, key directory, policies, monitoring).</param>
    /// <param name="serveUrl">Where to serve, e.g. <c>https://0.0.0.0:8443</c>; <see langword="null"/> for a client-only agent.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentException">An option is missing or invalid.</exception>
    public static IServiceCollection AddAztp(this IServiceCollection services, AgentDefinition agent, Action<AztpOptions> configure, string? serveUrl = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AztpOptions();
        configure(options);
        options.Validate();
        services.AddSingleton(new AztpHostedService(agent, options, serveUrl));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<AztpHostedService>());
        return services;
    }
}
