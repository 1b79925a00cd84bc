using System.Diagnostics.Metrics;

namespace Aztp.Core.Internal;

/// <summary>The <c>Aztp</c> meter: events by type and outcome, handler failures, queue depth.</summary>
internal static class AztpMetrics
{
    public const string MeterName = "Aztp";

    private static readonly Meter Meter = new(MeterName, typeof(AztpMetrics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Events = Meter.CreateCounter<long>("aztp.events", "{event}", "Security events dispatched, by type and outcome.");

    public static readonly Counter<long> HandlerFailures = Meter.CreateCounter<long>("aztp.monitor.handler_failures", "{failure}", "Handler calls that threw or timed out, by handler and kind.");

    public static readonly UpDownCounter<long> QueueDepth = Meter.CreateUpDownCounter<long>("aztp.monitor.queue_depth", "{event}", "Events waiting in monitor queues.");
}
