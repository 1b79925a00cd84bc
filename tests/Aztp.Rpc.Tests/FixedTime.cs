namespace Aztp.Rpc.Tests;

/// <summary>A clock stopped at one instant (to issue certificates that are already expired).</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
