using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Aztp.Grpc;
using Aztp.Identity.Internal;
using Aztp.Identity.WorkloadApi.Protos;

namespace Aztp.Identity.WorkloadApi.Internal;

/// <summary>Turns Workload API messages into Aztp.Identity types, strictly: a malformed answer is an error, never skipped silently.</summary>
internal static class WorkloadApiConvert
{
    public static X509Context ToContext(X509SVIDResponse response)
    {
        if (response.Svids.Count == 0)
        {
            throw Malformed("the X509SVIDResponse carries no SVID");
        }

        var svids = new List<X509Svid>(response.Svids.Count);
        var bundles = new Dictionary<TrustDomain, TrustBundle>();
        try
        {
            foreach (var message in response.Svids)
            {
                var svid = ToSvid(message);
                svids.Add(svid);
                if (!bundles.ContainsKey(svid.Id.TrustDomain))
                {
                    bundles[svid.Id.TrustDomain] = new TrustBundle(svid.Id.TrustDomain, ParseCertificates(message.Bundle.Span, "bundle of " + svid.Id.TrustDomain, requireOne: true));
                }
            }

            foreach (var (key, value) in response.FederatedBundles)
            {
                var td = ParseTrustDomainKey(key);
                bundles[td] = new TrustBundle(td, ParseCertificates(value.Span, "federated bundle of " + td, requireOne: true));
            }
        }
        catch
        {
            foreach (var svid in svids)
            {
                svid.Dispose();
            }

            throw;
        }

        return new X509Context(svids, [.. bundles.Values]);
    }

    public static List<TrustBundle> ToBundles(X509BundlesResponse response)
    {
        var list = new List<TrustBundle>(response.Bundles.Count);
        foreach (var (key, value) in response.Bundles)
        {
            var td = ParseTrustDomainKey(key);
            list.Add(new TrustBundle(td, ParseCertificates(value.Span, "bundle of " + td, requireOne: true)));
        }

        return list;
    }

    public static List<TrustBundle> ToJwtBundles(JWTBundlesResponse response)
    {
        var list = new List<TrustBundle>(response.Bundles.Count);
        foreach (var (key, value) in response.Bundles)
        {
            var td = ParseTrustDomainKey(key);
            try
            {
                list.Add(TrustBundle.FromSpiffeBundleJson(td, Encoding.UTF8.GetString(value.Span)));
            }
            catch (Exception e) when (e is not WorkloadApiException)
            {
                throw Malformed($"the JWT bundle of {td} is not a valid JWK set: {e.Message}", e);
            }
        }

        return list;
    }

    public static X509Svid ToSvid(X509SVID message)
    {
        if (!SpiffeId.TryParse(message.SpiffeId, out var claimed, out var rule))
        {
            throw Malformed($"the SVID's spiffe_id is invalid ({SpiffeId.RuleCode(rule)})");
        }

        var chain = ParseCertificates(message.X509Svid.Span, "x509_svid of " + claimed, requireOne: true);
        X509Certificate2? leafWithKey = null;
        try
        {
            using (var key = ImportKey(chain[0], message.X509SvidKey.Span, claimed))
            {
                leafWithKey = key switch
                {
                    ECDsa ec => chain[0].CopyWithPrivateKey(ec),
                    RSA rsa => chain[0].CopyWithPrivateKey(rsa),
                    _ => throw Malformed($"the private key of {claimed} has an unsupported type"),
                };
            }

            // The SVID owns the intermediates from here on.
            var svid = X509Svid.FromCertificates(leafWithKey, chain.GetRange(1, chain.Count - 1), "workload API");
            chain[0].Dispose();
            if (svid.Id != claimed)
            {
                svid.Dispose();
                throw Malformed($"the SVID certificate names {svid.Id} but the message says {claimed}");
            }

            return svid;
        }
        catch (Exception e)
        {
            leafWithKey?.Dispose();
            foreach (var cert in chain)
            {
                cert.Dispose();
            }

            if (e is WorkloadApiException)
            {
                throw;
            }

            throw Malformed($"the X.509-SVID of {claimed} is unusable: {e.Message}", e);
        }
    }

    public static List<X509Certificate2> ParseCertificates(ReadOnlySpan<byte> der, string what, bool requireOne)
    {
        var list = new List<X509Certificate2>();
        try
        {
            // Concatenated ASN.1 DER certificates (Workload API: x509_svid, bundle, federated_bundles).
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            while (reader.HasData)
            {
                list.Add(X509CertificateLoader.LoadCertificate(reader.ReadEncodedValue().Span));
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            foreach (var cert in list)
            {
                cert.Dispose();
            }

            throw Malformed($"the {what} is not a sequence of DER certificates", e);
        }

        if (requireOne && list.Count == 0)
        {
            throw Malformed($"the {what} is empty");
        }

        return list;
    }

    public static JwtSvid ToJwtSvid(JWTSVID message)
    {
        // The agent is the local, trusted issuer; the token is decoded (not verified) to expose its claims.
        if (!SpiffeId.TryParse(message.SpiffeId, out var claimed))
        {
            throw Malformed("the JWT-SVID's spiffe_id is invalid");
        }

        var parts = message.Svid.Split('.');
        if (parts.Length != 3 || !Base64Url.TryDecode(parts[0], out var headerBytes) || !Base64Url.TryDecode(parts[1], out var payloadBytes))
        {
            throw Malformed($"the JWT-SVID of {claimed} is not a JWS compact serialization");
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            using var payload = JsonDocument.Parse(payloadBytes);
            var alg = header.RootElement.GetProperty("alg").GetString() ?? string.Empty;
            if (!JwsAlgorithms.TryParse(Encoding.UTF8.GetBytes(alg), out var algorithm))
            {
                throw Malformed($"the JWT-SVID of {claimed} uses the unsupported algorithm '{alg}'");
            }

            var kid = header.RootElement.TryGetProperty("kid", out var k) ? k.GetString() ?? string.Empty : string.Empty;
            var root = payload.RootElement;
            var sub = root.GetProperty("sub").GetString();
            if (sub != claimed.ToString())
            {
                throw Malformed($"the JWT-SVID's subject does not match {claimed}");
            }

            var audience = new List<string>();
            if (root.TryGetProperty("aud", out var aud))
            {
                if (aud.ValueKind == JsonValueKind.String)
                {
                    audience.Add(aud.GetString()!);
                }
                else
                {
                    foreach (var a in aud.EnumerateArray())
                    {
                        audience.Add(a.GetString() ?? throw Malformed("the JWT-SVID has a non-string audience"));
                    }
                }
            }

            return new JwtSvid(message.Svid, claimed, audience, Time(root, "exp") ?? throw Malformed($"the JWT-SVID of {claimed} has no exp"),
                Time(root, "iat"), Time(root, "nbf"), kid, algorithm);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Malformed($"the JWT-SVID of {claimed} has malformed claims", e);
        }
    }

    public static TrustDomain ParseTrustDomainKey(string key)
    {
        // Keys are trust domain SPIFFE IDs ("spiffe://example.org"); a bare name is accepted too, as some agents send it.
        var name = key.StartsWith("spiffe://", StringComparison.Ordinal) ? key["spiffe://".Length..] : key;
        if (!TrustDomain.TryParse(name, out var td))
        {
            throw Malformed($"the bundle key '{key}' is not a trust domain");
        }

        return td;
    }

    public static WorkloadApiException Malformed(string message, Exception? inner = null) =>
        new(StatusCode.InvalidArgument, "Workload API: " + message + ".", inner);

    private static AsymmetricAlgorithm ImportKey(X509Certificate2 leaf, ReadOnlySpan<byte> pkcs8, SpiffeId id)
    {
        if (pkcs8.IsEmpty)
        {
            throw Malformed($"the SVID of {id} has no private key");
        }

        AsymmetricAlgorithm key = leaf.GetKeyAlgorithm() switch
        {
            "1.2.840.10045.2.1" => ECDsa.Create(),
            "1.2.840.113549.1.1.1" => RSA.Create(),
            var oid => throw Malformed($"the SVID of {id} has an unsupported key algorithm {oid}"),
        };
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out var read);
            if (read != pkcs8.Length)
            {
                throw Malformed($"the private key of {id} has trailing data");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static DateTimeOffset? Time(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? DateTimeOffset.FromUnixTimeSeconds((long)v.GetDouble()) : null;
}
