using Aztp.Policy;

namespace Aztp.Rpc;

/// <summary>Which Cedar policies authorize the calls an agent receives. Default deny: a call no policy permits is refused.</summary>
public sealed class PolicyOptions
{
    /// <summary>The directory of <c>*.cedar</c> files and an optional <c>entities.json</c> (default <c>./policies</c>).</summary>
    public string PolicyDir { get; set; } = "./policies";

    /// <summary>Reload policies when files change (default <see langword="true"/>); a broken file keeps the last good set.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// Find policy changes by polling instead of file notifications, for network file systems and containers (default
    /// <see langword="false"/>; polling is used anyway, with a <c>monitoring</c>/<c>watch_degraded</c> warning, when
    /// notifications can't start).
    /// </summary>
    public bool UsePolling { get; set; }

    /// <summary>
    /// Another decision engine (for example <see cref="OpaPolicyEngine"/>) to use instead of the policy directory
    /// (default <see langword="null"/>). Its failures deny the call.
    /// </summary>
    public IPolicyEngine? Engine { get; set; }

    /// <summary>Checks the options and throws an <see cref="ArgumentException"/> naming the option and the fix.</summary>
    public void Validate()
    {
        if (Engine is null && string.IsNullOrWhiteSpace(PolicyDir))
        {
            throw new ArgumentException("PolicyOptions.PolicyDir is empty; set it to the directory of your .cedar files (for example ./policies) or set PolicyOptions.Engine.");
        }
    }
}
