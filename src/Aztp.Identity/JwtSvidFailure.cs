namespace Aztp.Identity;

/// <summary>Why a JWT-SVID was refused (JWT-SVID §3, §4).</summary>
public enum JwtSvidFailure
{
    /// <summary>The token is a valid JWT-SVID.</summary>
    None = 0,

    /// <summary>The token is not three base64url parts with JSON header and claims.</summary>
    Malformed,

    /// <summary>The algorithm is not one of RS/ES/PS 256/384/512 (<c>none</c> and HS* are always refused).</summary>
    UnsupportedAlgorithm,

    /// <summary>The <c>typ</c> header is present but neither <c>JWT</c> nor <c>JOSE</c>.</summary>
    InvalidType,

    /// <summary>The header has a <c>crit</c> parameter, which Aztp does not understand and so must refuse.</summary>
    UnsupportedCritical,

    /// <summary>The header has no <c>kid</c>.</summary>
    MissingKeyId,

    /// <summary>There is no <c>sub</c> claim.</summary>
    MissingSubject,

    /// <summary>The <c>sub</c> claim is not a valid workload SPIFFE ID.</summary>
    InvalidSubject,

    /// <summary>No JWT bundle is configured for the subject's trust domain.</summary>
    WrongTrustDomain,

    /// <summary>The <c>kid</c> is not in the JWT bundle of the subject's trust domain.</summary>
    UnknownKeyId,

    /// <summary>The key found for <c>kid</c> cannot be used with the token's algorithm.</summary>
    AlgorithmKeyMismatch,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary>There is no <c>exp</c> claim.</summary>
    MissingExpiry,

    /// <summary>The token expired (beyond the allowed clock skew).</summary>
    Expired,

    /// <summary>The <c>nbf</c> claim is in the future (beyond the allowed clock skew).</summary>
    NotYetValid,

    /// <summary>There is no <c>aud</c> claim.</summary>
    MissingAudience,

    /// <summary>The <c>aud</c> claim does not contain the expected audience.</summary>
    WrongAudience,
}
