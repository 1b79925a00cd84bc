namespace Aztp.Identity;

/// <summary>The rule of the SPIFFE-ID standard that an input broke (SPIFFE-ID §2).</summary>
public enum SpiffeIdRule
{
    /// <summary>The input was valid.</summary>
    None = 0,

    /// <summary>The input is empty.</summary>
    Empty,

    /// <summary>The scheme is missing or is not the lower-case <c>spiffe://</c> (§2).</summary>
    WrongScheme,

    /// <summary>There is no trust domain after the scheme (§2.1).</summary>
    MissingTrustDomain,

    /// <summary>The trust domain has a character other than lower-case letters, digits, <c>.</c>, <c>-</c> and <c>_</c> (§2.1).</summary>
    TrustDomainCharacters,

    /// <summary>The authority has a port (<c>:</c>); SPIFFE IDs MUST NOT carry one (§2.1).</summary>
    Port,

    /// <summary>The authority has userinfo (<c>@</c>); SPIFFE IDs MUST NOT carry it (§2.1).</summary>
    UserInfo,

    /// <summary>The trust domain is longer than 255 bytes (§2.3).</summary>
    TrustDomainTooLong,

    /// <summary>The whole SPIFFE ID is longer than 2048 bytes (§2.3).</summary>
    TooLong,

    /// <summary>The path has an empty segment (<c>//</c>) (§2.2).</summary>
    EmptySegment,

    /// <summary>The path has a <c>.</c> or <c>..</c> segment (§2.2).</summary>
    DotSegment,

    /// <summary>The path ends with <c>/</c> (§2.2).</summary>
    TrailingSlash,

    /// <summary>A path segment has a character other than letters, digits, <c>.</c>, <c>-</c> and <c>_</c> (§2.2).</summary>
    PathCharacters,

    /// <summary>The ID has a query (<c>?</c>); SPIFFE IDs MUST NOT carry one (§2).</summary>
    Query,

    /// <summary>The ID has a fragment (<c>#</c>); SPIFFE IDs MUST NOT carry one (§2).</summary>
    Fragment,
}
