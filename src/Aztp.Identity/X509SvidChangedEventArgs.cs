namespace Aztp.Identity;

/// <summary>Describes an SVID rotation.</summary>
public sealed class X509SvidChangedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    public X509SvidChangedEventArgs(X509Svid svid)
    {
        ArgumentNullException.ThrowIfNull(svid);
        Svid = svid;
    }

    /// <summary>The new SVID.</summary>
    public X509Svid Svid { get; }
}
