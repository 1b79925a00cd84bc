namespace Aztp.Identity;

/// <summary>The JWS algorithms a JWT-SVID may use (JWT-SVID §3.1). <c>none</c> and the HMAC family are deliberately absent.</summary>
public enum JwtAlgorithm
{
    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    RS256,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-384.</summary>
    RS384,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-512.</summary>
    RS512,

    /// <summary>ECDSA P-256 with SHA-256.</summary>
    ES256,

    /// <summary>ECDSA P-384 with SHA-384.</summary>
    ES384,

    /// <summary>ECDSA P-521 with SHA-512.</summary>
    ES512,

    /// <summary>RSASSA-PSS with SHA-256.</summary>
    PS256,

    /// <summary>RSASSA-PSS with SHA-384.</summary>
    PS384,

    /// <summary>RSASSA-PSS with SHA-512.</summary>
    PS512,
}
