using Aztp.Core;

namespace Aztp.Audit;

/// <summary>Filters for reading events back. Every set filter must match; unset filters match everything.</summary>
public sealed class AuditQuery
{
    /// <summary>Only events of this type.</summary>
    public SecurityEventType? Type { get; init; }

    /// <summary>Only events with this outcome.</summary>
    public EventOutcome? Outcome { get; init; }

    /// <summary>Only events at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only events emitted by this agent (its name) or whose actor is this SPIFFE ID.</summary>
    public string? Agent { get; init; }

    /// <summary>Only events with this W3C trace id.</summary>
    public string? TraceId { get; init; }

    /// <summary>Only events with a seq greater than this (used by <c>tail --follow</c>).</summary>
    public long? AfterSeq { get; init; }

    /// <summary>Return only the last N matching events (still in seq order). Must be positive when set.</summary>
    public int? Last { get; init; }

    /// <summary>True when an event passes every filter except <see cref="AfterSeq"/> and <see cref="Last"/>.</summary>
    public bool Matches(SecurityEvent securityEvent)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        return (Type is null || securityEvent.Type == Type)
            && (Outcome is null || securityEvent.Outcome == Outcome)
            && (Since is null || securityEvent.Timestamp >= Since)
            && (Agent is null || string.Equals(securityEvent.AgentId, Agent, StringComparison.Ordinal)
                || string.Equals(securityEvent.Actor?.Id, Agent, StringComparison.Ordinal))
            && (TraceId is null || string.Equals(securityEvent.TraceId, TraceId, StringComparison.OrdinalIgnoreCase));
    }
}
