namespace Aztp.Core;

/// <summary>A snapshot of a <see cref="SecurityMonitor"/>'s counters.</summary>
/// <param name="Emitted">Events accepted by <see cref="SecurityMonitor.EmitAsync"/> plus the monitor's own events.</param>
/// <param name="Delivered">Handler deliveries completed (one event to one handler counts once), failed or not.</param>
/// <param name="HandlerFailures">Handler calls that threw.</param>
/// <param name="HandlerTimeouts">Handler calls abandoned after the timeout.</param>
/// <param name="BackpressureEpisodes">Times the queue filled up and emitters had to wait.</param>
/// <param name="QueueDepth">Events waiting in the main queue now.</param>
/// <param name="Undelivered">Deliveries that shutdown could not complete within its timeout.</param>
public readonly record struct MonitorStatistics(
    long Emitted,
    long Delivered,
    long HandlerFailures,
    long HandlerTimeouts,
    long BackpressureEpisodes,
    int QueueDepth,
    long Undelivered);
