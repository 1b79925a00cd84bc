using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>The outcome of validating a presented X.509-SVID: the peer's SPIFFE ID, or a typed reason.</summary>
public sealed class X509SvidValidationResult
{
    private X509SvidValidationResult(SpiffeId? id, X509SvidFailure failure, string message, DateTimeOffset notAfter)
    {
        SpiffeId = id;
        Failure = failure;
        Message = message;
        NotAfter = notAfter;
    }

    /// <summary>Whether the chain is a valid X.509-SVID trusted by the bundle of its trust domain.</summary>
    public bool IsValid => Failure == X509SvidFailure.None;

    /// <summary>The verified SPIFFE ID; on failure, the ID the leaf claimed when one could be read.</summary>
    public SpiffeId? SpiffeId { get; }

    /// <summary>Why validation failed; <see cref="X509SvidFailure.None"/> when valid.</summary>
    public X509SvidFailure Failure { get; }

    /// <summary>The snake_case reason code (for example <c>leaf_is_ca</c>), as used in events and JSON output.</summary>
    public string Reason => ReasonCodes.Of(Failure);

    /// <summary>A short explanation (no certificate content).</summary>
    public string Message { get; }

    /// <summary>When a valid result stops being valid (the earliest expiry in the chain); default on failure.</summary>
    public DateTimeOffset NotAfter { get; }

    internal static X509SvidValidationResult Valid(SpiffeId id, DateTimeOffset notAfter) => new(id, X509SvidFailure.None, "valid", notAfter);

    internal static X509SvidValidationResult Fail(X509SvidFailure failure, string message, SpiffeId? claimed = null) =>
        new(claimed, failure, message, default);

    /// <inheritdoc />
    public override string ToString() => IsValid ? $"valid: {SpiffeId}" : $"{Reason}: {Message}";
}
