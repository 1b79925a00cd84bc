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
    /// Federated trust bundles by trust domain (<c>federation/&lt;trust-domain&gt;.pem</c>). A CA from one of these vouches
    /// only for signers whose SPIFFE ID is in that trust domain, so a partner's CA cannot sign for this one.
    /// </summary>
    public IReadOnlyDictionary<string, X509Certificate2Collection>? FederatedAnchors { get; init; }

    /// <summary>Reads <c>DIR/bundle.pem</c> into <see cref="TrustAnchors"/> and <c>DIR/federation/*.pem</c> into <see cref="FederatedAnchors"/>.</summary>
    /// <exception cref="AuditStoreException">The directory has no bundle.pem, or a file holds no valid certificate.</exception>
    public static AuditVerifyOptions FromKeyDirectory(string directory, bool requireSealedTail = true) => new()
    {
        TrustAnchors = AuditTrustBundle.LoadPem(Path.Combine(directory, "bundle.pem")),
        FederatedAnchors = AuditTrustBundle.LoadFederation(directory),
        RequireSealedTail = requireSealedTail,
    };

    /// <summary>
    /// Require the store to end with a checkpoint, so a cut-off tail is detected. Default <see langword="true"/>; turn it
    /// off only for stores written without a signer, or while the writer is still running.
    /// </summary>
    public bool RequireSealedTail { get; init; } = true;
}
