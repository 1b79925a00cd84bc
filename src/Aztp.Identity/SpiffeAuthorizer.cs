namespace Aztp.Identity;

/// <summary>
/// A small, composable rule deciding whether a verified peer SPIFFE ID is acceptable (go-spiffe's <c>tlsconfig</c>
/// authorizers). Create with <see cref="Any"/>, <see cref="Id(SpiffeId)"/>, <see cref="MemberOf"/>, <see cref="OneOf"/> or
/// <see cref="Matching"/>; the RPC layer applies it after the peer's SVID has been verified.
/// </summary>
public sealed class SpiffeAuthorizer
{
    private readonly Func<SpiffeId, bool> _predicate;

    private SpiffeAuthorizer(string description, Func<SpiffeId, bool> predicate)
    {
        Description = description;
        _predicate = predicate;
    }

    /// <summary>What the authorizer accepts, for logs and error messages.</summary>
    public string Description { get; }

    /// <summary>Accepts any verified SPIFFE ID.</summary>
    public static SpiffeAuthorizer Any() => new("any SPIFFE ID", static _ => true);

    /// <summary>Accepts exactly one SPIFFE ID.</summary>
    public static SpiffeAuthorizer Id(SpiffeId expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return new($"SPIFFE ID {expected}", id => id.Equals(expected));
    }

    /// <summary>Accepts exactly one SPIFFE ID, given as a string.</summary>
    /// <exception cref="SpiffeIdFormatException">The string is not a valid SPIFFE ID.</exception>
    public static SpiffeAuthorizer Id(string expected) => Id(SpiffeId.Parse(expected));

    /// <summary>Accepts any SPIFFE ID of a trust domain.</summary>
    public static SpiffeAuthorizer MemberOf(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return new($"member of {trustDomain.Name}", id => id.IsMemberOf(trustDomain));
    }

    /// <summary>Accepts any of a fixed set of SPIFFE IDs.</summary>
    /// <exception cref="ArgumentException">The set is empty (which would silently deny everything).</exception>
    public static SpiffeAuthorizer OneOf(params IEnumerable<SpiffeId> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var set = new HashSet<SpiffeId>(allowed);
        if (set.Count == 0)
        {
            throw new ArgumentException("OneOf needs at least one SPIFFE ID.", nameof(allowed));
        }
        return new($"one of {string.Join(", ", set)}", set.Contains);
    }

    /// <summary>Accepts the SPIFFE IDs a custom predicate accepts. A predicate that throws denies.</summary>
    /// <param name="description">What the predicate accepts.</param>
    /// <param name="predicate">The rule.</param>
    public static SpiffeAuthorizer Matching(string description, Func<SpiffeId, bool> predicate)
    {
        ArgumentException.ThrowIfNullOrEmpty(description);
        ArgumentNullException.ThrowIfNull(predicate);
        return new(description, predicate);
    }

    /// <summary>Whether the verified peer ID is acceptable. Fails closed: a null ID or a throwing predicate denies.</summary>
    public bool Authorize(SpiffeId? peer)
    {
        if (peer is null)
        {
            return false;
        }
        try
        {
            return _predicate(peer);
        }
#pragma warning disable CA1031 // A custom predicate's fault must deny, never allow or escape into the handshake.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
