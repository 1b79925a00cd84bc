namespace Aztp.Core;

/// <summary>
/// Receives every security event, in emission order, after redaction. Runs isolated: an exception or a run past
/// <see cref="MonitoringOptions.HandlerTimeout"/> becomes a <c>monitoring</c> event and affects neither the emitter nor
/// other handlers. The token is cancelled when the handler times out or the monitor shuts down.
/// </summary>
public interface ISecurityEventHandler
{
    /// <summary>A short name used in monitoring events and metrics (for example <c>console</c> or <c>sqlite</c>).</summary>
    string Name { get; }

    /// <summary>Handles one event.</summary>
    ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken);
}
