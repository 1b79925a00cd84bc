using System.Security.Cryptography.X509Certificates;

namespace Aztp.Audit;

/// <summary>Settings of <see cref="AuditVerifier"/>.</summary>
public sealed class AuditVerifyOptions
{
    /// <summary>
    /// Trust anchors (the trust bundle's CA certificates) that checkpoint signers must chain to. When null, checkpoint
    /// signatures are checked against the certificates they carry but the certificates themselves are not trusted —
    /// that proves only internal consistency. See <see cref="AuditTrustBundle"/>.
    /// </summary>
    public X509Certificate2Collection? TrustAnchors { get; init; }

    /// <summary>
    /// Require the store to end with a checkpoint, so a cut-off tail is detected. Default <see langword="true"/>; turn it
    /// off only for stores written without a signer, or while the writer is still running.
    /// </summary>
    public bool RequireSealedTail { get; init; } = true;
}
