namespace Aztp.Core;

/// <summary>
/// A handler that takes events in batches (durable sinks). The monitor hands it every event already queued for it, up
/// to <see cref="MaxBatchSize"/>, in emission order; a flush point (<see cref="SecurityMonitor.FlushAsync"/>) always
/// ends a batch, so after a flush completes every earlier event has been passed to <see cref="HandleBatchAsync"/>.
/// </summary>
public interface IBatchSecurityEventHandler : ISecurityEventHandler
{
    /// <summary>The largest batch to hand over at once.</summary>
    int MaxBatchSize { get; }

    /// <summary>Handles a batch of events (never empty). The list is only valid during the call.</summary>
    ValueTask HandleBatchAsync(IReadOnlyList<SecurityEvent> batch, CancellationToken cancellationToken);
}
