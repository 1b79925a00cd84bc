using Aztp.Core;

namespace Aztp.Rpc;

/// <summary>
/// Everything <see cref="AztpAgent.SecureConnect"/> needs: where the agent's identity comes from, which Cedar
/// policies authorize its calls, and where its security events go. Only <see cref="Spiffe"/>'s trust domain is required.
/// </summary>
public sealed class AztpOptions
{
    /// <summary>The identity settings (trust domain, key directory or Workload API).</summary>
    public SpiffeOptions Spiffe { get; set; } = new();

    /// <summary>The policy settings (Cedar policy directory or another engine).</summary>
    public PolicyOptions Policy { get; set; } = new();

    /// <summary>The monitoring settings (console lines on by default, <c>OnEvent</c> handler, handler timeout).</summary>
    public MonitoringOptions Monitoring { get; set; } = new();

    /// <summary>Checks every option and throws an <see cref="ArgumentException"/> naming the option and the fix.</summary>
    public void Validate()
    {
        if (Spiffe is null)
        {
            throw new ArgumentException("AztpOptions.Spiffe is null; set it to new SpiffeOptions { TrustDomain = \"company.org\" }.");
        }
        if (Policy is null)
        {
            throw new ArgumentException("AztpOptions.Policy is null; set it to new PolicyOptions { PolicyDir = \"./policies\" }.");
        }
        if (Monitoring is null)
        {
            throw new ArgumentException("AztpOptions.Monitoring is null; leave it at its default or set new MonitoringOptions().");
        }
        Spiffe.Validate();
        Policy.Validate();
        Monitoring.Validate();
    }
}
