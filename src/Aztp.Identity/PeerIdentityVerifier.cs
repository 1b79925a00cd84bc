using System.Security.Cryptography.X509Certificates;
using Aztp.Core;

namespace Aztp.Identity;

/// <summary>
/// Verifies a peer's X.509-SVID or JWT-SVID, applies a <see cref="SpiffeAuthorizer"/>, and reports the outcome as an
/// <c>identity/verified</c> or <c>identity/failed</c> event (reason code only — never a certificate or token). This is
/// the piece the RPC layer calls from its TLS and token hooks.
/// </summary>
public sealed class PeerIdentityVerifier
{
    private readonly X509SvidValidator _x509;
    private readonly JwtSvidValidator _jwt;
    private readonly SecurityMonitor? _monitor;

    /// <summary>Creates a verifier.</summary>
    /// <param name="x509">The X.509-SVID validator.</param>
    /// <param name="jwt">The JWT-SVID validator.</param>
    /// <param name="monitor">Receives identity events; none when <see langword="null"/>.</param>
    public PeerIdentityVerifier(X509SvidValidator x509, JwtSvidValidator jwt, SecurityMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(x509);
        ArgumentNullException.ThrowIfNull(jwt);
        _x509 = x509;
        _jwt = jwt;
        _monitor = monitor;
    }

    /// <summary>Creates a verifier with default validators over a bundle source.</summary>
    public PeerIdentityVerifier(ITrustBundleSource bundles, SecurityMonitor? monitor = null, TimeProvider? timeProvider = null)
        : this(new X509SvidValidator(bundles, new X509SvidValidatorOptions { TimeProvider = timeProvider ?? TimeProvider.System }),
               new JwtSvidValidator(bundles, new JwtSvidValidatorOptions { TimeProvider = timeProvider ?? TimeProvider.System }), monitor)
    {
    }

    /// <summary>Verifies a presented certificate chain and authorizes its SPIFFE ID.</summary>
    /// <param name="leaf">The peer's leaf certificate.</param>
    /// <param name="intermediates">Intermediates the peer presented.</param>
    /// <param name="authorizer">Which IDs are acceptable.</param>
    /// <param name="peerAddress">The peer's address, for the event.</param>
    /// <param name="cancellationToken">Cancels waiting for the monitor's queue.</param>
    public async ValueTask<PeerVerificationResult> VerifyX509Async(X509Certificate2? leaf, IReadOnlyList<X509Certificate2>? intermediates,
        SpiffeAuthorizer authorizer, string? peerAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        var result = _x509.Validate(leaf, intermediates);
        var outcome = result.IsValid
            ? Authorize(result.SpiffeId!, authorizer)
            : new PeerVerificationResult(false, result.SpiffeId, result.Reason, result.Message);
        await ReportAsync(outcome, peerAddress, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Verifies a JWT-SVID for an audience and authorizes its subject.</summary>
    public async ValueTask<PeerVerificationResult> VerifyJwtAsync(string? token, string audience, SpiffeAuthorizer authorizer,
        string? peerAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        var result = _jwt.Validate(token, audience);
        var outcome = result.IsValid
            ? Authorize(result.SpiffeId!, authorizer)
            : new PeerVerificationResult(false, result.SpiffeId, result.Reason, result.Message);
        await ReportAsync(outcome, peerAddress, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private static PeerVerificationResult Authorize(SpiffeId id, SpiffeAuthorizer authorizer) =>
        authorizer.Authorize(id)
            ? new PeerVerificationResult(true, id, "none", "verified")
            : new PeerVerificationResult(false, id, PeerVerificationResult.NotAuthorizedReason, $"{id} is not {authorizer.Description}");

    private ValueTask ReportAsync(PeerVerificationResult outcome, string? peerAddress, CancellationToken cancellationToken)
    {
        if (_monitor is null)
        {
            return ValueTask.CompletedTask;
        }
        var events = _monitor.Events;
        var evt = outcome.IsVerified
            ? events.IdentityVerified(outcome.SpiffeId!.ToString(), peerAddress)
            : events.IdentityFailed(outcome.Reason, outcome.SpiffeId?.ToString(), peerAddress, outcome.Message);
        return _monitor.EmitAsync(evt, cancellationToken);
    }
}
