using System.Diagnostics.CodeAnalysis;

namespace Aztp.Identity;

/// <summary>
/// Supplies trust bundles (X.509 and JWT authorities) by trust domain. A static <see cref="TrustBundleSet"/>, the key
/// directory and a Workload API stream all implement it, so validators work the same with any of them.
/// </summary>
public interface ITrustBundleSource
{
    /// <summary>A number that changes whenever any bundle changes (caches of validated results key on it).</summary>
    long Generation { get; }

    /// <summary>Raised after bundles change.</summary>
    event EventHandler? BundlesChanged;

    /// <summary>Gets the bundle of a trust domain.</summary>
    bool TryGetBundle(TrustDomain trustDomain, [NotNullWhen(true)] out TrustBundle? bundle);
}
