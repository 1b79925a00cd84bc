namespace Aztp.Identity;

/// <summary>Why identity material (SVID, key or bundle) could not be loaded.</summary>
public enum IdentityLoadError
{
    /// <summary>A file or directory does not exist.</summary>
    NotFound,

    /// <summary>A file is not valid PEM, DER or JSON of the expected kind.</summary>
    InvalidFormat,

    /// <summary>The private key does not belong to the certificate.</summary>
    KeyMismatch,

    /// <summary>The key is not EC P-256/P-384 or RSA of at least 2048 bits.</summary>
    UnsupportedKey,

    /// <summary>A private key file is readable by group or others; it must be mode 0600 (or stricter).</summary>
    InsecureKeyPermissions,

    /// <summary>The certificate is not an X.509-SVID (no valid SPIFFE ID, or it is a CA).</summary>
    NotAnSvid,

    /// <summary>A bundle is invalid (wrong trust domain, bad key entries, no authorities).</summary>
    InvalidBundle,
}
