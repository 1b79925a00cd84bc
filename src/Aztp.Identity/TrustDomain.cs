using System.Diagnostics.CodeAnalysis;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// A SPIFFE trust domain (SPIFFE-ID §2.1): the authority part of a SPIFFE ID, such as <c>company.org</c>. Immutable;
/// equality is ordinal on the name, which is always lower case.
/// </summary>
public sealed class TrustDomain : IEquatable<TrustDomain>
{
    private TrustDomain(string name)
    {
        Name = name;
        IdString = SpiffeIdParser.Scheme + name;
    }

    /// <summary>The trust domain name, for example <c>company.org</c>.</summary>
    public string Name { get; }

    /// <summary>The trust domain's own SPIFFE ID, for example <c>spiffe://company.org</c>.</summary>
    public string IdString { get; }

    /// <summary>
    /// Parses a trust domain given either as a bare name (<c>company.org</c>) or as a SPIFFE ID with no path
    /// (<c>spiffe://company.org</c>).
    /// </summary>
    /// <exception cref="SpiffeIdFormatException">The input is not a valid trust domain; the exception names the rule.</exception>
    public static TrustDomain Parse(string value)
    {
        var rule = Check(value, out var name);
        if (rule != SpiffeIdRule.None)
        {
            throw new SpiffeIdFormatException(rule, $"Invalid trust domain: {SpiffeIdParser.Describe(rule)}.");
        }
        return new TrustDomain(name);
    }

    /// <summary>Parses a trust domain; never throws.</summary>
    /// <param name="value">A bare name or a SPIFFE ID with no path.</param>
    /// <param name="trustDomain">The trust domain, or <see langword="null"/> when invalid.</param>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out TrustDomain? trustDomain) =>
        TryParse(value, out trustDomain, out _);

    /// <summary>Parses a trust domain and reports the broken rule; never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out TrustDomain? trustDomain, out SpiffeIdRule rule)
    {
        rule = Check(value, out var name);
        trustDomain = rule == SpiffeIdRule.None ? new TrustDomain(name) : null;
        return trustDomain is not null;
    }

    /// <summary>Builds the SPIFFE ID of a workload in this trust domain from path segments.</summary>
    /// <exception cref="SpiffeIdFormatException">A segment breaks the path rules.</exception>
    public SpiffeId Id(params ReadOnlySpan<string> segments) => SpiffeId.FromSegments(this, segments);

    /// <summary>Whether a SPIFFE ID belongs to this trust domain.</summary>
    public bool Contains(SpiffeId id) => id is not null && Equals(id.TrustDomain);

    /// <inheritdoc />
    public bool Equals(TrustDomain? other) => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TrustDomain other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <summary>The trust domain name.</summary>
    public override string ToString() => Name;

    /// <summary>Equality.</summary>
    public static bool operator ==(TrustDomain? left, TrustDomain? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TrustDomain? left, TrustDomain? right) => !(left == right);

    internal static TrustDomain FromValidatedName(string name) => new(name);

    private static SpiffeIdRule Check(string? value, out string name)
    {
        name = string.Empty;
        if (string.IsNullOrEmpty(value))
        {
            return SpiffeIdRule.Empty;
        }
        if (value.Contains("://", StringComparison.Ordinal))
        {
            var rule = SpiffeIdParser.Check(value, out var td, out var path);
            if (rule != SpiffeIdRule.None)
            {
                return rule;
            }
            if (path.Length != 0)
            {
                // A trust domain ID has no path; report it the way a path in a domain name would fail.
                return SpiffeIdRule.TrustDomainCharacters;
            }
            name = td;
            return SpiffeIdRule.None;
        }
        var domainRule = SpiffeIdParser.CheckTrustDomainName(value);
        if (domainRule == SpiffeIdRule.None)
        {
            name = value;
        }
        return domainRule;
    }
}
