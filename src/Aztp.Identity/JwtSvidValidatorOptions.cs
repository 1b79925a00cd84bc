namespace Aztp.Identity;

/// <summary>Settings of a <see cref="JwtSvidValidator"/>.</summary>
public sealed class JwtSvidValidatorOptions
{
    /// <summary>The clock. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Leeway allowed on <c>exp</c> and <c>nbf</c> for clock differences. Default: 30 seconds; at most 5 minutes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many validated tokens to remember (0 turns the cache off). Default: 4096.</summary>
    public int CacheCapacity { get; set; } = 4096;
}
