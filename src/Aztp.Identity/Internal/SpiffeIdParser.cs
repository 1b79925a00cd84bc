namespace Aztp.Identity.Internal;

/// <summary>The one strict SPIFFE-ID grammar (SPIFFE-ID §2), shared by <see cref="SpiffeId"/> and <see cref="TrustDomain"/>.</summary>
internal static class SpiffeIdParser
{
    internal const string Scheme = "spiffe://";
    internal const int MaxIdLength = 2048;        // §2.3: implementations MUST support up to 2048 bytes.
    internal const int MaxTrustDomainLength = 255; // §2.3: trust domain maximum 255 bytes.

    internal static bool IsTrustDomainChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_';

    internal static bool IsPathChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_';

    internal static string Describe(SpiffeIdRule rule) => rule switch
    {
        SpiffeIdRule.None => "valid",
        SpiffeIdRule.Empty => "the SPIFFE ID is empty",
        SpiffeIdRule.WrongScheme => "the scheme must be the lower-case \"spiffe://\"",
        SpiffeIdRule.MissingTrustDomain => "the trust domain is missing",
        SpiffeIdRule.TrustDomainCharacters => "trust domain characters are limited to lower-case letters, digits, '.', '-' and '_'",
        SpiffeIdRule.Port => "a SPIFFE ID must not have a port",
        SpiffeIdRule.UserInfo => "a SPIFFE ID must not have userinfo",
        SpiffeIdRule.TrustDomainTooLong => "the trust domain is longer than 255 bytes",
        SpiffeIdRule.TooLong => "the SPIFFE ID is longer than 2048 bytes",
        SpiffeIdRule.EmptySegment => "the path must not have empty segments",
        SpiffeIdRule.DotSegment => "the path must not have '.' or '..' segments",
        SpiffeIdRule.TrailingSlash => "the path must not end with '/'",
        SpiffeIdRule.PathCharacters => "path segment characters are limited to letters, digits, '.', '-' and '_'",
        SpiffeIdRule.Query => "a SPIFFE ID must not have a query",
        SpiffeIdRule.Fragment => "a SPIFFE ID must not have a fragment",
        _ => "invalid SPIFFE ID",
    };

    /// <summary>The snake_case name of a rule, as used in JSON output and events.</summary>
    internal static string Code(SpiffeIdRule rule) => rule switch
    {
        SpiffeIdRule.None => "none",
        SpiffeIdRule.Empty => "empty",
        SpiffeIdRule.WrongScheme => "wrong_scheme",
        SpiffeIdRule.MissingTrustDomain => "missing_trust_domain",
        SpiffeIdRule.TrustDomainCharacters => "trust_domain_characters",
        SpiffeIdRule.Port => "port",
        SpiffeIdRule.UserInfo => "userinfo",
        SpiffeIdRule.TrustDomainTooLong => "trust_domain_too_long",
        SpiffeIdRule.TooLong => "too_long",
        SpiffeIdRule.EmptySegment => "empty_segment",
        SpiffeIdRule.DotSegment => "dot_segment",
        SpiffeIdRule.TrailingSlash => "trailing_slash",
        SpiffeIdRule.PathCharacters => "path_characters",
        SpiffeIdRule.Query => "query",
        SpiffeIdRule.Fragment => "fragment",
        _ => "invalid",
    };

    /// <summary>Checks a bare trust domain name (no scheme).</summary>
    internal static SpiffeIdRule CheckTrustDomainName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return SpiffeIdRule.MissingTrustDomain;
        }
        foreach (var c in name)
        {
            if (!IsTrustDomainChar(c))
            {
                return c switch
                {
                    ':' => SpiffeIdRule.Port,
                    '@' => SpiffeIdRule.UserInfo,
                    '?' => SpiffeIdRule.Query,
                    '#' => SpiffeIdRule.Fragment,
                    _ => SpiffeIdRule.TrustDomainCharacters,
                };
            }
        }
        return name.Length > MaxTrustDomainLength ? SpiffeIdRule.TrustDomainTooLong : SpiffeIdRule.None;
    }

    /// <summary>Checks a path: empty, or one or more <c>/segment</c>.</summary>
    internal static SpiffeIdRule CheckPath(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            return SpiffeIdRule.None;
        }
        if (path[0] != '/')
        {
            return SpiffeIdRule.PathCharacters;
        }
        var start = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
            {
                var c = path[i];
                if (!IsPathChar(c))
                {
                    return c switch
                    {
                        '?' => SpiffeIdRule.Query,
                        '#' => SpiffeIdRule.Fragment,
                        _ => SpiffeIdRule.PathCharacters,
                    };
                }
                continue;
            }
            var segment = path[start..i];
            if (segment.IsEmpty)
            {
                return i == path.Length ? SpiffeIdRule.TrailingSlash : SpiffeIdRule.EmptySegment;
            }
            if (segment is "." or "..")
            {
                return SpiffeIdRule.DotSegment;
            }
            start = i + 1;
        }
        return SpiffeIdRule.None;
    }

    /// <summary>Splits and checks a full SPIFFE ID. On success the out spans are the trust domain and the path.</summary>
    internal static SpiffeIdRule Check(string? input, out string trustDomain, out string path)
    {
        trustDomain = string.Empty;
        path = string.Empty;
        if (string.IsNullOrEmpty(input))
        {
            return SpiffeIdRule.Empty;
        }
        // §2: the scheme is "spiffe" and, to keep one canonical form, it must be lower case.
        if (!input.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return SpiffeIdRule.WrongScheme;
        }
        var rest = input.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        // A query or fragment straight after the authority belongs to the URI, not the trust domain.
        var marker = authority.IndexOfAny('?', '#');
        if (marker >= 0)
        {
            var inDomain = CheckTrustDomainName(authority[..marker]);
            if (inDomain != SpiffeIdRule.None)
            {
                return inDomain;
            }
            return authority[marker] == '?' ? SpiffeIdRule.Query : SpiffeIdRule.Fragment;
        }
        var domainRule = CheckTrustDomainName(authority);
        if (domainRule != SpiffeIdRule.None)
        {
            return domainRule;
        }
        var pathSpan = slash < 0 ? ReadOnlySpan<char>.Empty : rest[slash..];
        var pathRule = CheckPath(pathSpan);
        if (pathRule != SpiffeIdRule.None)
        {
            return pathRule;
        }
        // §2.3 counts bytes; every allowed character is ASCII, so chars == bytes here.
        if (input.Length > MaxIdLength)
        {
            return SpiffeIdRule.TooLong;
        }
        trustDomain = authority.ToString();
        path = pathSpan.ToString();
        return SpiffeIdRule.None;
    }
}
