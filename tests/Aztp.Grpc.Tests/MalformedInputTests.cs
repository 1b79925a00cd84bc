using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Aztp.Grpc.Tests.Infrastructure;
using Grpc.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Aztp.Grpc.Tests;

/// <summary>
/// Hostile or broken requests sent with a raw HTTP/2 client or raw sockets: each gets the specified status or HTTP
/// error, never a crash or a hung stream, and the server keeps serving.
/// </summary>
public sealed class MalformedInputTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);
    private ProbeHost _host = null!;
    private HttpClient _raw = null!;

    public async Task InitializeAsync()
    {
        _host = await ProbeHost.StartAsync(
            b => b
                .AddUnaryMethod(ProbeHost.Unary, (request, _) => Task.FromResult(ProbeHost.Echo(request)))
                .AddServerStreamingMethod(ProbeHost.ServerStream, async (request, stream, context) =>
                {
                    // Ignores its cancellation token: the server must still end the call at the deadline.
                    await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None);
                }),
            new GrpcServerOptions { MaxReceiveMessageSize = 64 * 1024 });
        _raw = new HttpClient(new SocketsHttpHandler());
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _host.DisposeAsync();
    }

    public static TheoryData<string, byte[], string, string?, string?, int> GrpcStatusCases() => new()
    {
        // name, body, content-type, extra header name, value, expected grpc-status
        { "truncated frame", [0, 0, 0, 0, 100, 1, 2, 3], "application/grpc", null, null, 13 },
        { "truncated prefix", [0, 0, 0], "application/grpc", null, null, 13 },
        { "length prefix above limit", [0, 0x7F, 0xFF, 0xFF, 0xFF], "application/grpc", null, null, 8 },
        { "compressed flag without grpc-encoding", [1, 0, 0, 0, 2, 0x10, 0x01], "application/grpc", null, null, 13 },
        { "compressed flag, identity encoding", [1, 0, 0, 0, 2, 0x10, 0x01], "application/grpc", "grpc-encoding", "identity", 13 },
        { "gzip flag with garbage payload", [1, 0, 0, 0, 4, 1, 2, 3, 4], "application/grpc", "grpc-encoding", "gzip", 13 },
        { "invalid compressed flag", [2, 0, 0, 0, 0], "application/grpc", null, null, 13 },
        { "garbage protobuf", [0, 0, 0, 0, 6, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "application/grpc", null, null, 13 },
        { "no message for unary", [], "application/grpc", null, null, 13 },
        { "two messages for unary", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "application/grpc", null, null, 13 },
        { "unsupported grpc-encoding", [0, 0, 0, 0, 0], "application/grpc", "grpc-encoding", "br", 12 },
        { "malformed grpc-timeout", [0, 0, 0, 0, 0], "application/grpc", "grpc-timeout", "soon", 13 },
        { "invalid base64 in -bin header", [0, 0, 0, 0, 0], "application/grpc", "x-data-bin", "!!!", 13 },
        { "content-type with +proto", [0, 0, 0, 0, 0], "application/grpc+proto", null, null, 0 },
    };

    [Theory]
    [MemberData(nameof(GrpcStatusCases))]
    public async Task MalformedRequest_GetsSpecifiedStatus_AndServerKeepsServing(string name, byte[] body, string contentType, string? header, string? value, int expectedStatus)
    {
        var (http, grpcStatus, _) = await SendRawAsync(ProbeHost.Unary.FullName, body, contentType, header, value);
        Assert.Equal(HttpStatusCode.OK, http);
        Assert.True(expectedStatus.ToString() == grpcStatus, $"{name}: grpc-status {grpcStatus}, expected {expectedStatus}");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("")]
    public async Task WrongContentType_Gets415(string contentType)
    {
        var (http, _, _) = await SendRawAsync(ProbeHost.Unary.FullName, [0, 0, 0, 0, 0], contentType, null, null);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, http);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task GetRequest_IsNotServedAsGrpc()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_host.Server.Port}{ProbeHost.Unary.FullName}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await _raw.SendAsync(request).WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task ServerEnforcesDeadline_EvenWhenHandlerIgnoresItsToken()
    {
        var stopwatch = Stopwatch.StartNew();
        var (http, grpcStatus, _) = await SendRawAsync(ProbeHost.ServerStream.FullName, [0, 0, 0, 0, 0], "application/grpc", "grpc-timeout", "200m");
        stopwatch.Stop();
        Assert.Equal(HttpStatusCode.OK, http);
        Assert.Equal("4", grpcStatus);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2.5), $"status arrived after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Http11Request_ToHttp2OnlyListener_IsClosed_AndServerKeepsServing()
    {
        var request = "POST /aztp.test.Probe/Unary HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0";
        var reply = await SendRawBytesAsync(Encoding.ASCII.GetBytes(request));
        Assert.DoesNotContain("HTTP/1.1 200", Encoding.ASCII.GetString(reply), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task GarbageBytes_OnTheConnection_AreRejected_AndServerKeepsServing()
    {
        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);
        await SendRawBytesAsync(garbage);

        // A valid HTTP/2 preface followed by garbage frames.
        var preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        await SendRawBytesAsync([.. preface, .. garbage]);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Http11Request_OnAnHttp1AndHttp2App_Gets426()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1AndHttp2));
        await using var app = builder.Build();
        app.UseRouting();
        app.MapGrpcService(GrpcServiceDefinition.CreateBuilder(ProbeHost.ServiceName).AddUnaryMethod(ProbeHost.Unary, (r, _) => Task.FromResult(new SimpleResponse())).Build());
        await app.StartAsync();
        var address = app.Urls.First();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, address + ProbeHost.Unary.FullName)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        using var response = await client.SendAsync(request).WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        await app.StopAsync();
    }

    private async Task<(HttpStatusCode Http, string? GrpcStatus, byte[] Body)> SendRawAsync(string path, byte[] body, string contentType, string? header, string? value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_host.Server.Port}{path}")
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await _raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Guard);
        var bytes = await response.Content.ReadAsByteArrayAsync().WaitAsync(Guard);
        var status = response.Headers.TryGetValues("grpc-status", out var inHeaders) ? inHeaders.First()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var inTrailers) ? inTrailers.First() : null;
        return (response.StatusCode, status, bytes);
    }

    private async Task<byte[]> SendRawBytesAsync(byte[] payload)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _host.Server.Port);
        await socket.SendAsync(payload, SocketFlags.None);
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Guard);
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (SocketException)
        {
            // A reset is a valid way for the server to refuse the connection.
        }

        Assert.False(cts.IsCancellationRequested, "the server neither answered nor closed the connection");
        return received.ToArray();
    }

    private async Task AssertStillServingAsync()
    {
        var response = await _host.Channel.AsyncUnaryCall(ProbeHost.Unary, new SimpleRequest { ResponseSize = 4 }).ResponseAsync.WaitAsync(Guard);
        Assert.Equal(4, response.Payload.Body.Length);
    }
}
