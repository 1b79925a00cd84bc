using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Audit.Internal;

/// <summary>
/// Validates checkpoint signers against trust anchors, caching one chain build per signing certificate, and the parsed
/// certificate of the last signer (a trail's checkpoints are usually all signed with the same SVID).
/// </summary>
internal sealed class CheckpointTrust(X509Certificate2Collection? anchors, IReadOnlyDictionary<string, X509Certificate2Collection>? federated = null) : IDisposable
{
    private readonly Dictionary<string, string?> _chainErrors = new(StringComparer.Ordinal);
    private byte[]? _lastLeafDer;
    private X509Certificate2? _lastLeaf;

    public void Dispose()
    {
        _lastLeaf?.Dispose();
        _lastLeaf = null;
        _lastLeafDer = null;
    }

    private X509Certificate2 LoadLeaf(byte[] der)
    {
        if (_lastLeaf is not null && der.AsSpan().SequenceEqual(_lastLeafDer))
        {
            return _lastLeaf;
        }
        var leaf = X509CertificateLoader.LoadCertificate(der);
        _lastLeaf?.Dispose();
        _lastLeaf = leaf;
        _lastLeafDer = der.ToArray();
        return leaf;
    }

    public bool HasAnchors => anchors is { Count: > 0 } || federated is { Count: > 0 };

    // The trust domain's own bundle, plus the federated bundle of the signer's trust domain (and no other).
    private X509Certificate2Collection AnchorsFor(string spiffeId)
    {
        var result = new X509Certificate2Collection();
        if (anchors is not null)
        {
            result.AddRange(anchors);
        }
        var trustDomain = spiffeId["spiffe://".Length..].Split('/')[0].ToLowerInvariant();
        if (federated is not null && federated.TryGetValue(trustDomain, out var domainAnchors))
        {
            result.AddRange(domainAnchors);
        }
        return result;
    }

    /// <summary>Null when the checkpoint's signature verifies and its signer is a trusted SVID; otherwise why not, and the kind.</summary>
    public (AuditBreakKind Kind, string Reason)? Check(AuditCheckpoint checkpoint)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = LoadLeaf(checkpoint.Certificates[0]);
        }
        catch (CryptographicException ex)
        {
            return (AuditBreakKind.InvalidCheckpoint, $"its signing certificate cannot be read ({ex.Message})");
        }
        if (!AuditCheckpoint.VerifySignatureSafe(checkpoint.Algorithm, leaf, checkpoint.SigningInput(), checkpoint.Signature))
        {
            return (AuditBreakKind.InvalidCheckpoint, "its signature does not verify with its signing certificate");
        }
        var spiffeId = SpiffeSan.GetSpiffeId(leaf);
        if (spiffeId is null)
        {
            return (AuditBreakKind.UntrustedCheckpoint, "its signing certificate has no spiffe:// URI SAN (not an SVID)");
        }
        if (!string.Equals(spiffeId, checkpoint.SpiffeId, StringComparison.Ordinal))
        {
            return (AuditBreakKind.InvalidCheckpoint, $"it names signer {checkpoint.SpiffeId} but is signed by {spiffeId}");
        }
        if (!HasAnchors)
        {
            return null;
        }
        if (checkpoint.Timestamp < leaf.NotBefore.ToUniversalTime() || checkpoint.Timestamp > leaf.NotAfter.ToUniversalTime())
        {
            return (AuditBreakKind.UntrustedCheckpoint, $"it was signed at {checkpoint.TimestampText}, outside its certificate's validity");
        }
        var key = Convert.ToHexString(SHA256.HashData(checkpoint.Certificates[0])) + "|" + checkpoint.TimestampText[..10];
        if (!_chainErrors.TryGetValue(key, out var error))
        {
            error = BuildChain(leaf, checkpoint);
            _chainErrors[key] = error;
        }
        return error is null ? null : (AuditBreakKind.UntrustedCheckpoint, error);
    }

    private string? BuildChain(X509Certificate2 leaf, AuditCheckpoint checkpoint)
    {
        // X509-SVID §4.1: a leaf SVID is not a CA.
        if (leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
        {
            return "its signing certificate is a CA certificate, not a leaf SVID";
        }
        var intermediates = new List<X509Certificate2>();
        try
        {
            for (var i = 1; i < checkpoint.Certificates.Count; i++)
            {
                intermediates.Add(X509CertificateLoader.LoadCertificate(checkpoint.Certificates[i]));
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            var roots = AnchorsFor(checkpoint.SpiffeId);
            if (roots.Count == 0)
            {
                return $"no trust anchor covers the trust domain of {checkpoint.SpiffeId}";
            }
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.ExtraStore.AddRange(intermediates.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = checkpoint.Timestamp.UtcDateTime;
            if (chain.Build(leaf))
            {
                return null;
            }
            var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return $"its signing certificate does not chain to the trust bundle ({(status.Length == 0 ? "no trusted root" : status)})";
        }
        catch (CryptographicException ex)
        {
            return $"its certificate chain cannot be read ({ex.Message})";
        }
        finally
        {
            foreach (var cert in intermediates)
            {
                cert.Dispose();
            }
        }
    }
}
