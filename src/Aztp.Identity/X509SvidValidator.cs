using System.Security.Cryptography.X509Certificates;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// Validates a presented certificate chain as an X.509-SVID (X509-SVID §5): SPIFFE leaf rules first, then RFC 5280 path
/// validation with <see cref="X509Chain"/> against the bundle of the leaf's own trust domain only (custom root trust,
/// never the operating system's store), then the signing-certificate rules on the built path. Successful results are
/// cached, keyed by the exact DER bytes of the presented chain, until a certificate expires or the bundles change.
/// Thread-safe.
/// </summary>
public sealed class X509SvidValidator
{
    /// <summary>The most intermediates a peer may present; longer chains are refused before any path building.</summary>
    public const int MaxIntermediates = 8;

    private readonly ITrustBundleSource _bundles;
    private readonly TimeProvider _time;
    private readonly ValidatedChainCache? _cache;

    /// <summary>Creates a validator over a bundle source.</summary>
    public X509SvidValidator(ITrustBundleSource bundles, X509SvidValidatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        options ??= new X509SvidValidatorOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CacheCapacity);
        _bundles = bundles;
        _time = options.TimeProvider;
        _cache = options.CacheCapacity > 0 ? new ValidatedChainCache(options.CacheCapacity) : null;
    }

    /// <summary>The number of chains currently cached.</summary>
    public int CachedCount => _cache?.Count ?? 0;

    /// <summary>Validates a chain given as leaf first, then intermediates.</summary>
    public X509SvidValidationResult Validate(IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NoCertificate, "no certificate was presented");
        }
        return Validate(chain[0], chain.Count > 1 ? new ChainSlice(chain) : []);
    }

    /// <summary>Validates a leaf with the intermediates the peer presented.</summary>
    public X509SvidValidationResult Validate(X509Certificate2? leaf, IReadOnlyList<X509Certificate2>? intermediates = null)
    {
        if (leaf is null)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NoCertificate, "no certificate was presented");
        }
        intermediates ??= [];
        var now = _time.GetUtcNow();
        var generation = _bundles.Generation;
        if (_cache is not null && _cache.TryGet(leaf, intermediates, now, generation, out var cached))
        {
            return cached;
        }
        X509SvidValidationResult result;
        DateTimeOffset notBefore;
        if (intermediates.Count > MaxIntermediates)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.Untrusted, $"more than {MaxIntermediates} intermediate certificates were presented");
        }
        try
        {
            result = ValidateCold(leaf, intermediates, now, out notBefore);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // An extension or key the platform cannot decode: not something we can vouch for.
            return X509SvidValidationResult.Fail(X509SvidFailure.NotAnSvid, "the certificate has an extension or key that cannot be decoded");
        }
        if (result.IsValid && _cache is not null)
        {
            _cache.Add(leaf, intermediates, result, notBefore, generation);
        }
        return result;
    }

    /// <summary>Drops every cached result.</summary>
    public void ClearCache() => _cache?.Clear();

    private X509SvidValidationResult ValidateCold(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, DateTimeOffset now, out DateTimeOffset notBefore)
    {
        notBefore = default;
        // X509-SVID §2 and §5.2: exactly one URI SAN holding a SPIFFE ID with a non-root path.
        var uris = CertificateFacts.UriSans(leaf);
        if (uris is null)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NotAnSvid, "the subject alternative name extension is malformed");
        }
        if (uris.Count == 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NoUriSan, "the leaf has no URI subject alternative name");
        }
        if (uris.Count > 1)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.MultipleUriSans, $"the leaf has {uris.Count} URI subject alternative names; exactly one is allowed");
        }
        if (!SpiffeId.TryParse(uris[0], out var id, out var rule))
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.InvalidSpiffeId, $"the URI SAN is not a valid SPIFFE ID: {SpiffeId.DescribeRule(rule)}");
        }
        if (id.IsTrustDomainId)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NotAnSvid, "the leaf's SPIFFE ID has no path (a trust domain ID is for signing certificates)", id);
        }

        // §4.1 and §5.2: a leaf is not a CA.
        if (CertificateFacts.IsCa(leaf))
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.LeafIsCa, "the leaf has the CA flag set", id);
        }
        // §4.3: key usage is present and critical; digitalSignature set; keyCertSign and cRLSign not set.
        var keyUsage = CertificateFacts.KeyUsage(leaf);
        if (keyUsage is null || !keyUsage.Critical)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.KeyUsageMissing, keyUsage is null ? "the leaf has no key usage extension" : "the leaf's key usage extension is not critical", id);
        }
        if ((keyUsage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.LeafKeyCertSign, "the leaf sets keyCertSign", id);
        }
        if ((keyUsage.KeyUsages & X509KeyUsageFlags.CrlSign) != 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.LeafCrlSign, "the leaf sets cRLSign", id);
        }
        if ((keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NoDigitalSignature, "the leaf lacks digitalSignature", id);
        }
        // §4.4: when present, EKU includes serverAuth and clientAuth.
        if (CertificateFacts.ExtendedKeyUsage(leaf) is { } eku)
        {
            bool server = false, client = false;
            foreach (var oid in eku.EnhancedKeyUsages)
            {
                server |= oid.Value == CertificateFacts.ServerAuthOid;
                client |= oid.Value == CertificateFacts.ClientAuthOid;
            }
            if (!server || !client)
            {
                return X509SvidValidationResult.Fail(X509SvidFailure.ExtendedKeyUsage, "the leaf's extended key usage lacks serverAuth or clientAuth", id);
            }
        }
        var (keyType, supported) = CertificateFacts.KeyType(leaf);
        if (!supported)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.UnsupportedKey, $"key type {keyType} is not accepted", id);
        }

        // Validity of everything presented, with the injected clock (gives a precise reason before path building).
        var notAfter = CertificateFacts.NotAfter(leaf);
        notBefore = CertificateFacts.NotBefore(leaf);
        var timeFailure = CheckTime(leaf, now, "the leaf", id);
        if (timeFailure is not null)
        {
            return timeFailure;
        }
        foreach (var intermediate in intermediates)
        {
            timeFailure = CheckTime(intermediate, now, "an intermediate certificate", id);
            if (timeFailure is not null)
            {
                return timeFailure;
            }
            notAfter = Min(notAfter, CertificateFacts.NotAfter(intermediate));
            notBefore = Max(notBefore, CertificateFacts.NotBefore(intermediate));
        }

        // The chain must end at a root of the leaf's own trust domain bundle.
        if (!_bundles.TryGetBundle(id.TrustDomain, out var bundle) || bundle.X509Authorities.Count == 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.WrongTrustDomain, $"no X.509 trust bundle for trust domain {id.TrustDomain}", id);
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(bundle.TrustStore);
        policy.RevocationMode = X509RevocationMode.NoCheck; // SVIDs are short-lived; SPIFFE has no revocation lists.
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        foreach (var intermediate in intermediates)
        {
            policy.ExtraStore.Add(intermediate);
        }
        var built = chain.Build(leaf);
        var elements = chain.ChainElements;
        try
        {
            if (!built)
            {
                return MapChainFailure(chain, intermediates, id);
            }
            // §3.2, §4.1, §4.3: every signing certificate on the path is a CA with keyCertSign and, if it has a SPIFFE ID, no path.
            for (var i = 1; i < elements.Count; i++)
            {
                var signer = elements[i].Certificate;
                if (!CertificateFacts.IsCa(signer))
                {
                    return X509SvidValidationResult.Fail(X509SvidFailure.SignerNotCa, "a signing certificate is not a CA", id);
                }
                var usage = CertificateFacts.KeyUsage(signer);
                if (usage is not null && (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0)
                {
                    return X509SvidValidationResult.Fail(X509SvidFailure.SignerNoKeyCertSign, "a signing certificate lacks keyCertSign", id);
                }
                if (CertificateFacts.UriSans(signer) is { Count: > 0 } signerUris
                    && SpiffeId.TryParse(signerUris[0], out var signerId) && !signerId.IsTrustDomainId)
                {
                    return X509SvidValidationResult.Fail(X509SvidFailure.SignerIdHasPath, "a signing certificate's SPIFFE ID has a path", id);
                }
                notAfter = Min(notAfter, CertificateFacts.NotAfter(signer));
                notBefore = Max(notBefore, CertificateFacts.NotBefore(signer));
            }
        }
        finally
        {
            for (var i = 0; i < elements.Count; i++)
            {
                elements[i].Certificate.Dispose();
            }
        }
        return X509SvidValidationResult.Valid(id, notAfter);
    }

    private static X509SvidValidationResult? CheckTime(X509Certificate2 certificate, DateTimeOffset now, string what, SpiffeId id)
    {
        var notAfter = CertificateFacts.NotAfter(certificate);
        if (now > notAfter)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.Expired, $"{what} expired at {notAfter:yyyy-MM-ddTHH:mm:ssZ}", id);
        }
        var notBefore = CertificateFacts.NotBefore(certificate);
        if (now < notBefore)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.NotYetValid, $"{what} is not valid before {notBefore:yyyy-MM-ddTHH:mm:ssZ}", id);
        }
        return null;
    }

    private static X509SvidValidationResult MapChainFailure(X509Chain chain, IReadOnlyList<X509Certificate2> intermediates, SpiffeId id)
    {
        var flags = X509ChainStatusFlags.NoError;
        foreach (var status in chain.ChainStatus)
        {
            flags |= status.Status;
        }
        if ((flags & (X509ChainStatusFlags.InvalidBasicConstraints | X509ChainStatusFlags.NotValidForUsage)) != 0)
        {
            // The platform reports both a missing CA flag and a missing keyCertSign this way; name the precise rule.
            foreach (var intermediate in intermediates)
            {
                if (!CertificateFacts.IsCa(intermediate))
                {
                    return X509SvidValidationResult.Fail(X509SvidFailure.SignerNotCa, "a signing certificate is not a CA", id);
                }
                if (CertificateFacts.KeyUsage(intermediate) is { } usage && (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0)
                {
                    return X509SvidValidationResult.Fail(X509SvidFailure.SignerNoKeyCertSign, "a signing certificate lacks keyCertSign", id);
                }
            }
            return X509SvidValidationResult.Fail(X509SvidFailure.SignerNotCa, "a signing certificate may not sign certificates (basic constraints or key usage)", id);
        }
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            // Only the trust anchor can get here: presented certificates were checked above.
            return X509SvidValidationResult.Fail(X509SvidFailure.Expired, "a trust bundle certificate is outside its validity period", id);
        }
        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
        {
            return X509SvidValidationResult.Fail(X509SvidFailure.Untrusted, "a signature in the chain is invalid", id);
        }
        return X509SvidValidationResult.Fail(X509SvidFailure.Untrusted,
            $"the chain does not end at a root in the bundle of {id.TrustDomain} ({flags})", id);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    // Exposes chain[1..] without copying.
    private sealed class ChainSlice(IReadOnlyList<X509Certificate2> chain) : IReadOnlyList<X509Certificate2>
    {
        public X509Certificate2 this[int index] => chain[index + 1];

        public int Count => chain.Count - 1;

        public IEnumerator<X509Certificate2> GetEnumerator()
        {
            for (var i = 1; i < chain.Count; i++)
            {
                yield return chain[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
