using System.Net;

namespace Aztp.Identity.WorkloadApi.Internal;

/// <summary>A parsed Workload API address (SPIFFE Workload Endpoint §4: unix:///path or tcp://ip:port).</summary>
internal sealed record WorkloadApiEndpoint(string? UnixSocketPath, IPEndPoint? TcpEndPoint)
{
    public static WorkloadApiEndpoint Resolve(string? configured)
    {
        var address = configured;
        var origin = "WorkloadApiClientOptions.Address";
        if (string.IsNullOrWhiteSpace(address))
        {
            address = Environment.GetEnvironmentVariable(WorkloadApiClientOptions.EndpointSocketVariable);
            origin = WorkloadApiClientOptions.EndpointSocketVariable;
        }

        if (string.IsNullOrWhiteSpace(address))
        {
            throw new ArgumentException(
                $"No Workload API address: set {WorkloadApiClientOptions.EndpointSocketVariable} (e.g. unix:///run/spire/sockets/agent.sock) or WorkloadApiClientOptions.Address.");
        }

        return Parse(address, origin);
    }

    public static WorkloadApiEndpoint Parse(string address, string origin)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"{origin} '{address}' is not a URI; use unix:///absolute/path or tcp://ip:port.");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new ArgumentException($"{origin} '{address}' must not have a query, fragment or user info.");
        }

        switch (uri.Scheme)
        {
            case "unix":
                // The path must be absolute and there is no authority: unix:///run/agent.sock.
                if (!string.IsNullOrEmpty(uri.Host) || string.IsNullOrEmpty(uri.AbsolutePath) || uri.AbsolutePath == "/")
                {
                    throw new ArgumentException($"{origin} '{address}' must be unix:///absolute/path (three slashes, no host).");
                }

                return new WorkloadApiEndpoint(Uri.UnescapeDataString(uri.AbsolutePath), null);
            case "tcp":
                if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) || uri.IsDefaultPort || uri.Port <= 0 || (uri.AbsolutePath.Length > 0 && uri.AbsolutePath != "/"))
                {
                    throw new ArgumentException($"{origin} '{address}' must be tcp://ip:port with an IP address literal and a port, and no path.");
                }

                return new WorkloadApiEndpoint(null, new IPEndPoint(ip, uri.Port));
            default:
                throw new ArgumentException($"{origin} '{address}' has scheme '{uri.Scheme}'; use unix:///absolute/path or tcp://ip:port.");
        }
    }

    public override string ToString() => UnixSocketPath is { } path ? "unix://" + path : "tcp://" + TcpEndPoint;
}
