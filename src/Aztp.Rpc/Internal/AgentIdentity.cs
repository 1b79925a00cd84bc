using System.Diagnostics.CodeAnalysis;
using Aztp.Identity;
using Aztp.Identity.WorkloadApi;

namespace Aztp.Rpc.Internal;

/// <summary>
/// The agent's identity source, whichever it is: the key directory (development, the default) or the SPIFFE Workload
/// API (production). Everything above reads the current SVID per handshake through this one type.
/// </summary>
internal sealed class AgentIdentity : IX509SvidSource, ITrustBundleSource, IJwtSvidSource, IAsyncDisposable
{
    private readonly KeyDirectorySource? _keys;
    private readonly WorkloadApiSource? _workload;

    public AgentIdentity(KeyDirectorySource keys) => _keys = keys;

    public AgentIdentity(WorkloadApiSource workload) => _workload = workload;

    public event EventHandler<X509SvidChangedEventArgs>? SvidChanged
    {
        add
        {
            if (_keys is not null) { _keys.SvidChanged += value; } else { _workload!.SvidChanged += value; }
        }
        remove
        {
            if (_keys is not null) { _keys.SvidChanged -= value; } else { _workload!.SvidChanged -= value; }
        }
    }

    public event EventHandler? BundlesChanged
    {
        add
        {
            if (_keys is not null) { _keys.BundlesChanged += value; } else { _workload!.BundlesChanged += value; }
        }
        remove
        {
            if (_keys is not null) { _keys.BundlesChanged -= value; } else { _workload!.BundlesChanged -= value; }
        }
    }

    /// <summary><c>key_directory</c> or <c>workload_api</c>.</summary>
    public string Kind => _keys is not null ? "key_directory" : "workload_api";

    public long Generation => _keys?.Generation ?? _workload!.Generation;

    public TrustBundleSet Bundles => _keys?.Bundles ?? _workload!.Bundles;

    public X509Svid GetX509Svid() => _keys?.GetX509Svid() ?? _workload!.GetX509Svid();

    public bool TryGetBundle(TrustDomain trustDomain, [NotNullWhen(true)] out TrustBundle? bundle) =>
        _keys is not null ? _keys.TryGetBundle(trustDomain, out bundle) : _workload!.TryGetBundle(trustDomain, out bundle);

    public ValueTask<JwtSvid> FetchJwtSvidAsync(IReadOnlyList<string> audience, CancellationToken cancellationToken = default) =>
        _keys is not null ? _keys.FetchJwtSvidAsync(audience, cancellationToken) : _workload!.FetchJwtSvidAsync(audience, cancellationToken);

    /// <summary>Re-reads the key directory now; the Workload API pushes updates itself, so there it returns false.</summary>
    public Task<bool> ReloadAsync(CancellationToken cancellationToken) =>
        _keys is not null ? _keys.ReloadAsync(cancellationToken) : Task.FromResult(false);

    public ValueTask DisposeAsync() => _keys is not null ? _keys.DisposeAsync() : _workload!.DisposeAsync();
}
