namespace Aztp.Identity.WorkloadApi;

/// <summary>One X.509 update from the Workload API: every SVID the workload is entitled to and the trust bundles.</summary>
public sealed class X509Context
{
    /// <summary>Creates a context.</summary>
    /// <param name="svids">The SVIDs, in the agent's order (the first is the default).</param>
    /// <param name="bundles">The bundle of each trust domain (the workload's own and federated ones).</param>
    public X509Context(IReadOnlyList<X509Svid> svids, IReadOnlyList<TrustBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(svids);
        ArgumentNullException.ThrowIfNull(bundles);
        Svids = svids;
        Bundles = bundles;
    }

    /// <summary>The SVIDs, in the agent's order; the first is the default SVID.</summary>
    public IReadOnlyList<X509Svid> Svids { get; }

    /// <summary>The bundles of the workload's own and every federated trust domain.</summary>
    public IReadOnlyList<TrustBundle> Bundles { get; }

    /// <summary>The SVID with the given SPIFFE ID, or the first one when <paramref name="id"/> is <see langword="null"/>.</summary>
    /// <returns>The SVID, or <see langword="null"/> when the agent sent none with that ID.</returns>
    public X509Svid? Find(SpiffeId? id)
    {
        if (id is null)
        {
            return Svids.Count > 0 ? Svids[0] : null;
        }

        foreach (var svid in Svids)
        {
            if (svid.Id == id)
            {
                return svid;
            }
        }

        return null;
    }
}
