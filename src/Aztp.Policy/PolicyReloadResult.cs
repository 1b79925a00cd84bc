namespace Aztp.Policy;

/// <summary>The outcome of <see cref="PolicyStore.ReloadAsync"/>.</summary>
public enum PolicyReloadResult
{
    /// <summary>A new set was loaded and is now active (a <c>policy</c>/<c>loaded</c> event was emitted).</summary>
    Loaded,

    /// <summary>The files did not change; the active set stays.</summary>
    Unchanged,

    /// <summary>The new files were rejected; the last good set stays active (a <c>policy</c>/<c>reload_failed</c> event was emitted).</summary>
    Failed,
}
