using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Aztp.Identity;

/// <summary>
/// The bundles of several trust domains at once — the local one and any federated ones. Thread-safe: readers see an
/// immutable snapshot; <see cref="Set"/> and <see cref="Remove"/> swap it and raise <see cref="BundlesChanged"/>.
/// </summary>
public sealed class TrustBundleSet : ITrustBundleSource
{
    private ImmutableDictionary<TrustDomain, TrustBundle> _bundles = ImmutableDictionary<TrustDomain, TrustBundle>.Empty;
    private long _generation;

    /// <summary>Creates a set holding the given bundles.</summary>
    /// <exception cref="ArgumentException">Two bundles are for the same trust domain.</exception>
    public TrustBundleSet(params IEnumerable<TrustBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var builder = ImmutableDictionary.CreateBuilder<TrustDomain, TrustBundle>();
        foreach (var bundle in bundles)
        {
            if (builder.ContainsKey(bundle.TrustDomain))
            {
                throw new ArgumentException($"Two bundles for trust domain {bundle.TrustDomain}.", nameof(bundles));
            }
            builder.Add(bundle.TrustDomain, bundle);
        }
        _bundles = builder.ToImmutable();
    }

    /// <inheritdoc />
    public long Generation => Interlocked.Read(ref _generation);

    /// <inheritdoc />
    public event EventHandler? BundlesChanged;

    /// <summary>The trust domains that have a bundle.</summary>
    public IReadOnlyCollection<TrustDomain> TrustDomains => [.. _bundles.Keys];

    /// <summary>The number of bundles.</summary>
    public int Count => _bundles.Count;

    /// <inheritdoc />
    public bool TryGetBundle(TrustDomain trustDomain, [NotNullWhen(true)] out TrustBundle? bundle)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return Volatile.Read(ref _bundles).TryGetValue(trustDomain, out bundle);
    }

    /// <summary>Adds or replaces the bundle of its trust domain.</summary>
    public void Set(TrustBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ImmutableInterlocked.Update(ref _bundles, static (map, b) => map.SetItem(b.TrustDomain, b), bundle);
        Changed();
    }

    /// <summary>Removes the bundle of a trust domain; returns whether there was one.</summary>
    public bool Remove(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        var removed = ImmutableInterlocked.TryRemove(ref _bundles, trustDomain, out _);
        if (removed)
        {
            Changed();
        }
        return removed;
    }

    /// <summary>Replaces every bundle at once.</summary>
    public void ReplaceAll(IEnumerable<TrustBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var replacement = new TrustBundleSet(bundles);
        Volatile.Write(ref _bundles, replacement._bundles);
        Changed();
    }

    private void Changed()
    {
        Interlocked.Increment(ref _generation);
        BundlesChanged?.Invoke(this, EventArgs.Empty);
    }
}
