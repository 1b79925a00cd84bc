using Microsoft.Extensions.Logging;

namespace Aztp.Core.Internal;

internal static partial class MonitorLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Security monitor shutdown timed out after {Timeout}: {Count} event deliveries not completed (handlers: {Handlers}).")]
    public static partial void Undelivered(ILogger logger, long count, TimeSpan timeout, string handlers);
}
