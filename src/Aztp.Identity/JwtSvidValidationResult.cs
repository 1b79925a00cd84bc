using Aztp.Identity.Internal;

namespace Aztp.Identity;

/// <summary>The outcome of validating a JWT-SVID: the parsed SVID, or a typed reason.</summary>
public sealed class JwtSvidValidationResult
{
    private JwtSvidValidationResult(JwtSvid? svid, SpiffeId? id, JwtSvidFailure failure, string message)
    {
        Svid = svid;
        SpiffeId = id;
        Failure = failure;
        Message = message;
    }

    /// <summary>Whether the token is valid for the expected audience.</summary>
    public bool IsValid => Failure == JwtSvidFailure.None;

    /// <summary>The validated SVID; <see langword="null"/> on failure.</summary>
    public JwtSvid? Svid { get; }

    /// <summary>The subject; on failure, the subject the token claimed when it could be read.</summary>
    public SpiffeId? SpiffeId { get; }

    /// <summary>Why validation failed.</summary>
    public JwtSvidFailure Failure { get; }

    /// <summary>The snake_case reason code, as used in events and JSON output.</summary>
    public string Reason => ReasonCodes.Of(Failure);

    /// <summary>A short explanation (never the token).</summary>
    public string Message { get; }

    internal static JwtSvidValidationResult Valid(JwtSvid svid) => new(svid, svid.Id, JwtSvidFailure.None, "valid");

    internal static JwtSvidValidationResult Fail(JwtSvidFailure failure, string message, SpiffeId? claimed = null) => new(null, claimed, failure, message);

    /// <inheritdoc />
    public override string ToString() => IsValid ? $"valid: {SpiffeId}" : $"{Reason}: {Message}";
}
