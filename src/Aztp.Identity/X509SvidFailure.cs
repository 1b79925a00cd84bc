namespace Aztp.Identity;

/// <summary>Why a presented X.509 certificate chain is not a valid X.509-SVID (X509-SVID §4, §5).</summary>
public enum X509SvidFailure
{
    /// <summary>The chain is a valid X.509-SVID.</summary>
    None = 0,

    /// <summary>No certificate was presented.</summary>
    NoCertificate,

    /// <summary>The leaf is not an SVID: unreadable extensions, or a SPIFFE ID with no path (§3.1, §5.2).</summary>
    NotAnSvid,

    /// <summary>The leaf has no URI subject alternative name (§2).</summary>
    NoUriSan,

    /// <summary>The leaf has more than one URI subject alternative name (§2, §5.2).</summary>
    MultipleUriSans,

    /// <summary>The URI subject alternative name is not a valid SPIFFE ID (for example a non-<c>spiffe</c> URI).</summary>
    InvalidSpiffeId,

    /// <summary>The leaf has the basic-constraints CA flag set (§4.1, §5.2).</summary>
    LeafIsCa,

    /// <summary>The leaf sets keyCertSign (§4.3, §5.2).</summary>
    LeafKeyCertSign,

    /// <summary>The leaf sets cRLSign (§4.3, §5.2).</summary>
    LeafCrlSign,

    /// <summary>The leaf lacks digitalSignature (§4.3).</summary>
    NoDigitalSignature,

    /// <summary>The leaf has no key usage extension, or it is not critical (§4.3).</summary>
    KeyUsageMissing,

    /// <summary>The leaf has an extended key usage extension without both serverAuth and clientAuth (§4.4).</summary>
    ExtendedKeyUsage,

    /// <summary>The leaf's public key is not EC P-256/P-384 or RSA of at least 2048 bits.</summary>
    UnsupportedKey,

    /// <summary>A certificate in the chain has expired.</summary>
    Expired,

    /// <summary>A certificate in the chain is not valid yet.</summary>
    NotYetValid,

    /// <summary>No trust bundle is configured for the leaf's trust domain.</summary>
    WrongTrustDomain,

    /// <summary>The chain does not end at a root of the bundle of the leaf's trust domain, or a signature is wrong.</summary>
    Untrusted,

    /// <summary>A signing certificate is not a CA (§3.2, §4.1).</summary>
    SignerNotCa,

    /// <summary>A signing certificate lacks keyCertSign (§4.3).</summary>
    SignerNoKeyCertSign,

    /// <summary>A signing certificate's SPIFFE ID has a path (§3.2).</summary>
    SignerIdHasPath,
}
