namespace Aztp.Core;

/// <summary>The kind of a <see cref="SecurityEvent"/>; written in JSON in lower case (<c>identity</c>, <c>policy</c>, …).</summary>
public enum SecurityEventType
{
    /// <summary>Identity checks: SVID verification at handshakes, setup, rotation and expiry.</summary>
    Identity,

    /// <summary>Policy decisions and policy set loads.</summary>
    Policy,

    /// <summary>Calls between agents, seen from the client or the server side.</summary>
    Rpc,

    /// <summary>Faults of the monitoring pipeline itself (a handler failed or timed out, backpressure).</summary>
    Monitoring,

    /// <summary>Lifecycle of the agent and its configuration (started, stopped, reloaded).</summary>
    System,
}
