using Microsoft.Extensions.Logging;

namespace Aztp.Core;

/// <summary>
/// Bridges events to Microsoft.Extensions.Logging as structured entries (category <c>Aztp.SecurityEvents</c> when
/// created from a factory). Level follows severity: info → Information, warning → Warning, error → Error,
/// critical → Critical. The entry's state carries EventId, Type, Action, Outcome, AgentId, TraceId and the canonical
/// JSON.
/// </summary>
public sealed partial class LoggingEventHandler : ISecurityEventHandler
{
    /// <summary>The logger category used by <see cref="LoggingEventHandler(ILoggerFactory)"/>.</summary>
    public const string CategoryName = "Aztp.SecurityEvents";

    private readonly ILogger _logger;

    /// <summary>Creates a bridge writing to a logger.</summary>
    public LoggingEventHandler(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Creates a bridge writing to the <c>Aztp.SecurityEvents</c> category of a factory.</summary>
    public LoggingEventHandler(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(CategoryName);
    }

    /// <inheritdoc/>
    public string Name => "logger";

    /// <inheritdoc/>
    public ValueTask HandleAsync(SecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        var level = securityEvent.Severity switch
        {
            EventSeverity.Info => LogLevel.Information,
            EventSeverity.Warning => LogLevel.Warning,
            EventSeverity.Error => LogLevel.Error,
            _ => LogLevel.Critical,
        };
        if (_logger.IsEnabled(level))
        {
#pragma warning disable CA1873 // guarded by IsEnabled above
            LogEvent(_logger, level, securityEvent.Id, SecurityEventJson.TypeName(securityEvent.Type), securityEvent.Data.Action,
                SecurityEventJson.OutcomeName(securityEvent.Outcome), securityEvent.AgentId, securityEvent.TraceId,
                SecurityEventJson.Serialize(securityEvent));
#pragma warning restore CA1873
        }
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 4100, Message = "Security event {EventId} {Type}/{Action} {Outcome} agent={AgentId} trace={TraceId} {Json}")]
    private static partial void LogEvent(ILogger logger, LogLevel level, string eventId, string type, string? action, string outcome,
        string agentId, string? traceId, string json);
}
