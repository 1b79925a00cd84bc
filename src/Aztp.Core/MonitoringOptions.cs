using Microsoft.Extensions.Logging;

namespace Aztp.Core;

/// <summary>Settings of the security monitor (the shape of AZTP's <c>monitoring</c> options).</summary>
public sealed class MonitoringOptions
{
    /// <summary>
    /// Write each event as one <c>[AZTP:EVENT] {json}</c> line to standard output. Default <see langword="true"/>.
    /// Turning it off is not recommended: the console line is the audit trail of last resort.
    /// </summary>
    public bool ConsoleLogging { get; set; } = true;

    /// <summary>Where console lines go; <see langword="null"/> (default) means the process's standard output.</summary>
    public Stream? ConsoleOutput { get; set; }

    /// <summary>An async handler called for every event, in addition to the console line. Default none.</summary>
    public Func<SecurityEvent, CancellationToken, ValueTask>? OnEvent { get; set; }

    /// <summary>More handlers (audit sinks, alerting). Each runs isolated with its own queue. Default empty.</summary>
    public IList<ISecurityEventHandler> Handlers { get; } = new List<ISecurityEventHandler>();

    /// <summary>
    /// Capacity of the event queue (and of each handler's queue). When full, emitters wait (backpressure) rather than
    /// lose events. Default 8,192; must be at least 1.
    /// </summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// How long one handler call may run before it is abandoned and reported as <c>monitoring/handler_timeout</c>.
    /// Default 5 seconds; <see cref="Timeout.InfiniteTimeSpan"/> disables the limit.
    /// </summary>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long <see cref="SecurityMonitor.DisposeAsync"/> waits for queued events to reach every handler before it
    /// gives up and reports what it could not deliver. Default 10 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// When set, every event is also written to <see cref="ILogger"/> (category <c>Aztp.SecurityEvents</c>) as a
    /// structured entry, and the monitor reports its own shutdown problems there. Default none.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Checks the settings; throws with the option's name and the fix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (QueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "MonitoringOptions.QueueCapacity must be at least 1.");
        }
        if (HandlerTimeout <= TimeSpan.Zero && HandlerTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(HandlerTimeout), HandlerTimeout, "MonitoringOptions.HandlerTimeout must be positive, or Timeout.InfiniteTimeSpan.");
        }
        if (ShutdownTimeout < TimeSpan.Zero && ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "MonitoringOptions.ShutdownTimeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }
    }
}
