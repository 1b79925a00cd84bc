using Google.Protobuf;
using Grpc.Testing;

namespace Aztp.Grpc.Tests.Infrastructure;

/// <summary>An Aztp.Grpc server with an ad-hoc service ("aztp.test.Probe") and a channel to it.</summary>
public sealed class ProbeHost : IAsyncDisposable
{
    public const string ServiceName = "aztp.test.Probe";

    public static readonly Method<SimpleRequest, SimpleResponse> Unary = new(MethodType.Unary, ServiceName, "Unary", SimpleRequest.Parser, SimpleResponse.Parser);
    public static readonly Method<SimpleRequest, SimpleResponse> ServerStream = new(MethodType.ServerStreaming, ServiceName, "ServerStream", SimpleRequest.Parser, SimpleResponse.Parser);
    public static readonly Method<SimpleRequest, SimpleResponse> ClientStream = new(MethodType.ClientStreaming, ServiceName, "ClientStream", SimpleRequest.Parser, SimpleResponse.Parser);
    public static readonly Method<SimpleRequest, SimpleResponse> Duplex = new(MethodType.DuplexStreaming, ServiceName, "Duplex", SimpleRequest.Parser, SimpleResponse.Parser);

    private ProbeHost(GrpcServer server, GrpcChannel channel)
    {
        Server = server;
        Channel = channel;
    }

    public GrpcServer Server { get; }

    public GrpcChannel Channel { get; }

    public static async Task<ProbeHost> StartAsync(
        Action<GrpcServiceBuilder> configure,
        GrpcServerOptions? serverOptions = null,
        GrpcChannelOptions? channelOptions = null,
        GrpcServerTlsOptions? tls = null,
        string? unixSocket = null,
        Action<GrpcServer>? configureServer = null)
    {
        var builder = GrpcServiceDefinition.CreateBuilder(ServiceName);
        configure(builder);
        var server = new GrpcServer(serverOptions) { Tls = tls, UnixSocketPath = unixSocket };
        configureServer?.Invoke(server);
        server.AddService(builder.Build());
        await server.StartAsync();
        var address = unixSocket is not null ? "http://localhost" : $"{(tls is null ? "http" : "https")}://127.0.0.1:{server.Port}";
        return new ProbeHost(server, GrpcChannel.ForAddress(address, channelOptions));
    }

    public static SimpleResponse Echo(SimpleRequest request) => new() { Payload = new Payload { Body = ByteString.CopyFrom(new byte[request.ResponseSize]) } };

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
    }
}
