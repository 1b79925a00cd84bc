namespace Aztp.Identity;

/// <summary>
/// Supplies this workload's current X.509-SVID. The key directory and the Workload API both implement it; TLS code
/// reads <see cref="GetX509Svid"/> on each handshake so a rotated SVID is used without a restart.
/// </summary>
public interface IX509SvidSource
{
    /// <summary>The current SVID. The source owns it; do not dispose it.</summary>
    /// <exception cref="InvalidOperationException">The source has no SVID (for example after disposal).</exception>
    X509Svid GetX509Svid();

    /// <summary>Raised after the SVID was replaced (rotation).</summary>
    event EventHandler<X509SvidChangedEventArgs>? SvidChanged;
}
