using System.Diagnostics.CodeAnalysis;
using System.Text;
using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>
/// A SPIFFE ID (SPIFFE-ID §2): <c>spiffe://trust-domain/path</c>. Parsing is strict — only the canonical form of the
/// standard is accepted. Immutable; equality is ordinal on the whole ID.
/// </summary>
public sealed class SpiffeId : IEquatable<SpiffeId>
{
    private readonly string _value;

    private SpiffeId(TrustDomain trustDomain, string path, string value)
    {
        TrustDomain = trustDomain;
        Path = path;
        _value = value;
    }

    /// <summary>The trust domain.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The path, empty or starting with <c>/</c> (for example <c>/finance</c>).</summary>
    public string Path { get; }

    /// <summary>Whether the path is empty, i.e. this is the ID of a trust domain rather than a workload.</summary>
    public bool IsTrustDomainId => Path.Length == 0;

    /// <summary>Parses a SPIFFE ID.</summary>
    /// <exception cref="SpiffeIdFormatException">The input is not a valid SPIFFE ID; <see cref="SpiffeIdFormatException.Rule"/> names the rule.</exception>
    public static SpiffeId Parse(string value)
    {
        var rule = SpiffeIdParser.Check(value, out var td, out var path);
        if (rule != SpiffeIdRule.None)
        {
            throw new SpiffeIdFormatException(rule, $"Invalid SPIFFE ID: {SpiffeIdParser.Describe(rule)}.");
        }
        return new SpiffeId(TrustDomain.FromValidatedName(td), path, value);
    }

    /// <summary>Parses a SPIFFE ID; never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out SpiffeId? id) => TryParse(value, out id, out _);

    /// <summary>Parses a SPIFFE ID and reports the rule that failed; never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out SpiffeId? id, out SpiffeIdRule rule)
    {
        rule = SpiffeIdParser.Check(value, out var td, out var path);
        id = rule == SpiffeIdRule.None ? new SpiffeId(TrustDomain.FromValidatedName(td), path, value!) : null;
        return id is not null;
    }

    /// <summary>Builds a SPIFFE ID from a trust domain and path segments (each without <c>/</c>).</summary>
    /// <exception cref="SpiffeIdFormatException">A segment is empty, a dot segment, or has a disallowed character.</exception>
    public static SpiffeId FromSegments(TrustDomain trustDomain, params ReadOnlySpan<string> segments)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        var builder = new StringBuilder(trustDomain.IdString);
        foreach (var segment in segments)
        {
            builder.Append('/').Append(segment);
            if (string.IsNullOrEmpty(segment) || segment.Contains('/', StringComparison.Ordinal))
            {
                throw new SpiffeIdFormatException(SpiffeIdRule.EmptySegment, "Invalid SPIFFE ID: each path segment must be non-empty and must not contain '/'.");
            }
        }
        return Parse(builder.ToString());
    }

    /// <summary>A short description of a rule, for messages.</summary>
    public static string DescribeRule(SpiffeIdRule rule) => SpiffeIdParser.Describe(rule);

    /// <summary>The snake_case code of a rule (for example <c>dot_segment</c>), as used in JSON output.</summary>
    public static string RuleCode(SpiffeIdRule rule) => SpiffeIdParser.Code(rule);

    /// <summary>Whether this ID belongs to a trust domain.</summary>
    public bool IsMemberOf(TrustDomain trustDomain) => trustDomain is not null && TrustDomain.Equals(trustDomain);

    /// <inheritdoc />
    public bool Equals(SpiffeId? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SpiffeId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>The ID as a string, <c>spiffe://trust-domain/path</c>.</summary>
    public override string ToString() => _value;

    /// <summary>Equality.</summary>
    public static bool operator ==(SpiffeId? left, SpiffeId? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(SpiffeId? left, SpiffeId? right) => !(left == right);
}
