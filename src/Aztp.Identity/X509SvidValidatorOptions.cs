namespace Aztp.Identity;

/// <summary>Settings of an <see cref="X509SvidValidator"/>.</summary>
public sealed class X509SvidValidatorOptions
{
    /// <summary>The clock that decides validity periods. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How many validated chains to remember (0 turns the cache off). Default: 1024. A cached result is used only
    /// while every certificate in the chain is within its validity period and the bundles have not changed.
    /// </summary>
    public int CacheCapacity { get; set; } = 1024;
}
