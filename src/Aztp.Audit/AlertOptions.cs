using Aztp.Core;

namespace Aztp.Audit;

/// <summary>Settings of <see cref="AlertHandler"/>. Set <see cref="WebhookUrl"/> or <see cref="Deliver"/> (or both).</summary>
public sealed class AlertOptions
{
    /// <summary>POST each alert as JSON to this URL (2xx is success). Default none.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>Deliver each alert to this delegate. Default none.</summary>
    public Func<AuditAlert, CancellationToken, ValueTask>? Deliver { get; set; }

    /// <summary>
    /// Which events count. Default: outcome <c>failure</c>, <c>denied</c> or <c>error</c> (the handler's own
    /// <c>alert_delivery_failed</c> events never count, so a broken webhook cannot feed itself).
    /// </summary>
    public Func<SecurityEvent, bool>? Filter { get; set; }

    /// <summary>Alert when this many matching events of one (type, action, peer) arrive within <see cref="Window"/>. Default 1; at least 1.</summary>
    public int Threshold { get; set; } = 1;

    /// <summary>The counting window for <see cref="Threshold"/>. Default 1 minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// After an alert for a (type, action, peer), further matching events of it raise no alert for this long; they are
    /// counted and reported as <see cref="AuditAlert.Suppressed"/> in the next alert. Default 5 minutes; zero disables.
    /// </summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Alerts waiting for delivery before new ones are dropped (and reported). Default 1,000.</summary>
    public int MaxPendingAlerts { get; set; } = 1000;

    /// <summary>How long one delivery may take. Default 10 seconds.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The HTTP client for the webhook; a private one when null. Not disposed by the handler.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Clock for windows. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings; throws with the option's name and the fix.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (WebhookUrl is null && Deliver is null)
        {
            throw new ArgumentException("AlertOptions needs WebhookUrl or Deliver: alerts must go somewhere.", nameof(WebhookUrl));
        }
        if (WebhookUrl is not null && (!WebhookUrl.IsAbsoluteUri || WebhookUrl.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException("AlertOptions.WebhookUrl must be an absolute http or https URL.", nameof(WebhookUrl));
        }
        if (Threshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "AlertOptions.Threshold must be at least 1.");
        }
        if (Window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "AlertOptions.Window must be positive.");
        }
        if (DeduplicationWindow < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DeduplicationWindow), DeduplicationWindow, "AlertOptions.DeduplicationWindow must not be negative.");
        }
        if (MaxPendingAlerts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingAlerts), MaxPendingAlerts, "AlertOptions.MaxPendingAlerts must be at least 1.");
        }
        if (DeliveryTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DeliveryTimeout), DeliveryTimeout, "AlertOptions.DeliveryTimeout must be positive.");
        }
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
