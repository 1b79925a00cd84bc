using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Grpc.Interop;

/// <summary>Loads PEM files and validates peers against one CA (never the OS store).</summary>
public static class InteropCertificates
{
    public static X509Certificate2 LoadCertificateWithKey(string certPath, string keyPath) =>
        X509Certificate2.CreateFromPemFile(certPath, keyPath);

    public static X509Certificate2 LoadCa(string caPath) => X509Certificate2.CreateFromPem(File.ReadAllText(caPath));

    /// <summary>Accepts a peer whose chain ends at <paramref name="ca"/>; when <paramref name="checkName"/>, also requires the platform's host-name check to pass.</summary>
    public static Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> TrustedBy(X509Certificate2 ca, bool checkName) => (certificate, _, errors) =>
    {
        if (checkName && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    };
}
