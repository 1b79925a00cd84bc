using System.Net;
using Grpc.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Aztp.Grpc.Tests;

/// <summary>
/// A non-gRPC HTTP/2 server (e.g. a proxy) answering with an HTTP error and no grpc-status: the client maps the HTTP
/// status as http-grpc-status-mapping.md specifies. Also: a 200 with a foreign content type, and a body without trailers.
/// </summary>
public sealed class HttpStatusMappingTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.UseRouting();
        _app.MapPost("/status/{code:int}", (HttpContext context, int code) =>
        {
            context.Response.StatusCode = code;
            return Task.CompletedTask;
        });
        _app.MapPost("/html/page", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html>proxy error</html>");
        });
        _app.MapPost("/notrailers/page", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 0 });
        });
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(ProtocolTests.HttpStatusVectors), MemberType = typeof(ProtocolTests))]
    public async Task HttpError_WithoutGrpcStatus_MapsToSpecifiedStatus(int http, StatusCode expected)
    {
        var method = new Method<SimpleRequest, SimpleResponse>(MethodType.Unary, "status", http.ToString(), SimpleRequest.Parser, SimpleResponse.Parser);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _channel.AsyncUnaryCall(method, new SimpleRequest()));
        Assert.Equal(expected, ex.StatusCode);
    }

    [Fact]
    public async Task Http200_WithForeignContentType_IsInternal()
    {
        var method = new Method<SimpleRequest, SimpleResponse>(MethodType.Unary, "html", "page", SimpleRequest.Parser, SimpleResponse.Parser);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _channel.AsyncUnaryCall(method, new SimpleRequest()));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Response_WithoutGrpcStatusTrailer_IsInternal()
    {
        var method = new Method<SimpleRequest, SimpleResponse>(MethodType.Unary, "notrailers", "page", SimpleRequest.Parser, SimpleResponse.Parser);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _channel.AsyncUnaryCall(method, new SimpleRequest()));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }
}
