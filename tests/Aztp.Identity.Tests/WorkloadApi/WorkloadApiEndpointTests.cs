using Aztp.Identity.WorkloadApi;
using Aztp.Identity.WorkloadApi.Internal;

namespace Aztp.Identity.Tests.WorkloadApi;

public sealed class WorkloadApiEndpointTests
{
    public static TheoryData<string, string?, string?> Valid => new()
    {
        { "unix:///run/spire/sockets/agent.sock", "/run/spire/sockets/agent.sock", null },
        { "unix:///tmp/a%20b.sock", "/tmp/a b.sock", null },
        { "tcp://127.0.0.1:8081", null, "127.0.0.1:8081" },
        { "tcp://[::1]:8081", null, "[::1]:8081" },
    };

    public static TheoryData<string> Invalid => new()
    {
        "relative/path.sock",
        "unix://host/path.sock",
        "unix:///",
        "tcp://localhost:8081",
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:8081/path",
        "http://127.0.0.1:8081",
        "unix:///tmp/agent.sock?x=1",
        "unix:///tmp/agent.sock#frag",
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_AcceptsSpecAddresses(string address, string? path, string? tcp)
    {
        var endpoint = WorkloadApiEndpoint.Parse(address, "test");
        Assert.Equal(path, endpoint.UnixSocketPath);
        Assert.Equal(tcp, endpoint.TcpEndPoint?.ToString());
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_RejectsOtherAddresses_WithTheFix(string address)
    {
        var e = Assert.Throws<ArgumentException>(() => WorkloadApiEndpoint.Parse(address, "test"));
        Assert.Contains(address, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ReadsEnvironmentVariable_WhenNoAddressIsConfigured()
    {
        var saved = Environment.GetEnvironmentVariable(WorkloadApiClientOptions.EndpointSocketVariable);
        try
        {
            Environment.SetEnvironmentVariable(WorkloadApiClientOptions.EndpointSocketVariable, "unix:///run/agent.sock");
            Assert.Equal("/run/agent.sock", WorkloadApiEndpoint.Resolve(null).UnixSocketPath);
            Assert.Equal("/other.sock", WorkloadApiEndpoint.Resolve("unix:///other.sock").UnixSocketPath);
            Environment.SetEnvironmentVariable(WorkloadApiClientOptions.EndpointSocketVariable, null);
            var e = Assert.Throws<ArgumentException>(() => WorkloadApiEndpoint.Resolve(null));
            Assert.Contains("SPIFFE_ENDPOINT_SOCKET", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WorkloadApiClientOptions.EndpointSocketVariable, saved);
        }
    }
}
