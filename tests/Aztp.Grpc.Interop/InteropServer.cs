using System.Net;
using Aztp.Grpc;
using Grpc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aztp.Grpc.Interop;

/// <summary>Starts grpc.testing.TestService on Aztp.Grpc.</summary>
public static class InteropServer
{
    public static async Task<GrpcServer> StartAsync(int port, string? certPath = null, string? keyPath = null, string? caPath = null, bool requireClientCert = false, CancellationToken cancellationToken = default)
    {
        var server = new GrpcServer(new GrpcServerOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 })
        {
            ListenAddress = IPAddress.Loopback,
            RequestedPort = port,
        };
        server.AddService(GrpcServiceDefinition.FromDescriptor(TestReflection.Descriptor.Services.Single(s => s.Name == "TestService"), new TestServiceImpl()));
        if (certPath is not null)
        {
            var certificate = InteropCertificates.LoadCertificateWithKey(certPath, keyPath ?? throw new ArgumentException("--key is required with --cert"));
            var tls = new GrpcServerTlsOptions { ServerCertificateSelector = _ => certificate };
            if (caPath is not null)
            {
                tls.ClientCertificateMode = requireClientCert ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate;
                tls.ClientCertificateValidation = InteropCertificates.TrustedBy(InteropCertificates.LoadCa(caPath), checkName: false);
            }

            server.Tls = tls;
        }

        await server.StartAsync(cancellationToken);
        return server;
    }
}
