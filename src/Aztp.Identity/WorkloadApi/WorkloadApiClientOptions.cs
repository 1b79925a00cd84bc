namespace Aztp.Identity.WorkloadApi;

/// <summary>Where and how to reach the SPIFFE Workload API (normally a SPIRE agent's Unix socket).</summary>
public sealed class WorkloadApiClientOptions
{
    /// <summary>The name of the environment variable the SPIFFE Workload Endpoint specification defines for the address.</summary>
    public const string EndpointSocketVariable = "SPIFFE_ENDPOINT_SOCKET";

    /// <summary>
    /// The endpoint address: <c>unix:///absolute/path</c> or <c>tcp://ip:port</c> (an IP literal, no host name).
    /// Default <see langword="null"/>: read from the <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>Largest response accepted, in bytes. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 << 20;
}
