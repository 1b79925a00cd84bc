using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Aztp.Grpc;

/// <summary>
/// TLS settings of a <see cref="GrpcServer"/>. ALPN offers <c>h2</c> only. The certificate is chosen per handshake,
/// so a rotating source (e.g. an SVID store) takes effect on the next connection without a restart.
/// </summary>
public sealed class GrpcServerTlsOptions
{
    /// <summary>
    /// Chooses the server certificate (with private key) for each TLS handshake; the argument is the SNI host name,
    /// or <see langword="null"/>. Required unless <see cref="ServerCertificate"/> is set.
    /// </summary>
    public Func<string?, X509Certificate2?>? ServerCertificateSelector { get; set; }

    /// <summary>A fixed server certificate (with private key), used when <see cref="ServerCertificateSelector"/> is not set.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>Whether clients must present a certificate (default <see cref="ClientCertificateMode.NoCertificate"/>).</summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.NoCertificate;

    /// <summary>
    /// Decides whether a presented client certificate is accepted. Called with the certificate, the chain the platform
    /// built (against the OS store) and its errors; validate against your own trust anchors here. When not set, only
    /// certificates that chain to the OS trust store are accepted.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? ClientCertificateValidation { get; set; }

    /// <summary>The TLS versions allowed; <see cref="SslProtocols.None"/> (default) lets the OS choose (TLS 1.2 and 1.3).</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    internal void Validate()
    {
        if (ServerCertificateSelector is null && ServerCertificate is null)
        {
            throw new InvalidOperationException("GrpcServerTlsOptions needs ServerCertificateSelector or ServerCertificate.");
        }

        if (ServerCertificate is { HasPrivateKey: false })
        {
            throw new InvalidOperationException("GrpcServerTlsOptions.ServerCertificate has no private key.");
        }
    }
}
