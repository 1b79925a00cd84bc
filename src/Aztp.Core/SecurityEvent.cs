using System.Diagnostics;
using System.Text.Json.Serialization;
using Aztp.Core.Internal;

namespace Aztp.Core;

/// <summary>
/// One security event: an identity check, a policy decision, an RPC, a pipeline fault or a lifecycle change.
/// Immutable once created. Its canonical JSON form (see <see cref="SecurityEventJson"/>) is what the console line prints
/// and what the audit chain hashes.
/// </summary>
[JsonConverter(typeof(SecurityEventJsonConverter))]
public sealed class SecurityEvent : IEquatable<SecurityEvent>
{
    // Events made here carry their id as 128 bits and format the text on first read (most handlers never read it);
    // events made from a stored id keep that text.
    // Kept as the id's millisecond state (shared by that millisecond's events) and a sequence number in it: 8 bytes less
    // per event than the 128 bits (the int packs with the byte fields). One field holds either that state or the text:
    // the first read replaces the state with the formatted text (8 bytes less per event than a field for each).
    private object _id;
    private readonly int _idSequence;
    // The trace in one field (8 bytes less per event than three): null, a shared EventTrace (formatted on first read,
    // once per trace position), or explicit strings in an ExplicitTrace.
    private readonly object? _trace;
    // The time as UTC ticks and the three enums as bytes (all defined values fit): 16 bytes less per event than a
    // DateTimeOffset and three int-sized enums.
    private readonly long _utcTicks;
    private readonly byte _type;
    private readonly byte _severity;
    private readonly byte _outcome;

    /// <summary>Creates an event with every field given explicitly (used when reading events back from storage).</summary>
    /// <exception cref="ArgumentException">A required field is missing or malformed.</exception>
    public SecurityEvent(
        string id,
        SecurityEventType type,
        DateTimeOffset timestamp,
        string agentId,
        string? spiffeId,
        EventSeverity severity,
        EventOutcome outcome,
        string? traceId,
        string? spanId,
        EventActor? actor,
        EventData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentNullException.ThrowIfNull(data);
        ValidateEnums(type, severity, outcome);
        _id = id;
        _type = (byte)type;
        _utcTicks = TruncateToMilliseconds(timestamp).UtcTicks;
        AgentId = agentId;
        SpiffeId = spiffeId;
        _severity = (byte)severity;
        _outcome = (byte)outcome;
        _trace = ExplicitTrace.Of(traceId, spanId);
        Actor = actor;
        Data = data;
    }

    private static void ValidateEnums(SecurityEventType type, EventSeverity severity, EventOutcome outcome)
    {
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type.");
        }
        if (!Enum.IsDefined(severity))
        {
            throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown severity.");
        }
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome.");
        }
    }

    // For events made here from already-checked parts (a new event from validated enums, or a copy of an event):
    // the public constructor's argument checks would only repeat work on the hot path.
    private SecurityEvent(SecurityEvent source, object? trace, EventData data)
    {
        _id = source._id;
        _idSequence = source._idSequence;
        _type = source._type;
        _utcTicks = source._utcTicks;
        AgentId = source.AgentId;
        SpiffeId = source.SpiffeId;
        _severity = source._severity;
        _outcome = source._outcome;
        _trace = trace;
        Actor = source.Actor;
        Data = data;
    }

    private SecurityEvent(EventId.State idBase, long sequence, SecurityEventType type, DateTimeOffset utcMilliseconds, string agentId, string? spiffeId,
        EventSeverity severity, EventOutcome outcome, EventTrace? trace, string? traceId, string? spanId, EventActor? actor, EventData data, bool trusted)
    {
        Debug.Assert(trusted);
        if (sequence <= int.MaxValue)
        {
            _id = idBase;
            _idSequence = (int)sequence;
        }
        else
        {
            // Not reachable in practice (over 2^31 ids in one millisecond), but then the text is made now.
            _id = EventId.Format(idBase.At(sequence));
        }
        _type = (byte)type;
        _utcTicks = utcMilliseconds.UtcTicks;
        AgentId = agentId;
        SpiffeId = spiffeId;
        _severity = (byte)severity;
        _outcome = (byte)outcome;
        _trace = (object?)trace ?? ExplicitTrace.Of(traceId, spanId);
        Actor = actor;
        Data = data;
    }

    /// <summary>
    /// Creates a new event now: a fresh sortable id, the current UTC time (milliseconds), and the trace and span ids of
    /// <see cref="EventTrace.Current"/>, or else of <see cref="Activity.Current"/> when it is a W3C activity.
    /// </summary>
    public static SecurityEvent Create(
        SecurityEventType type,
        string agentId,
        string? spiffeId,
        EventSeverity severity,
        EventOutcome outcome,
        EventData data,
        EventActor? actor = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentNullException.ThrowIfNull(data);
        ValidateEnums(type, severity, outcome);
        return CreateTrusted(type, agentId, spiffeId, severity, outcome, data, actor, timeProvider ?? TimeProvider.System);
    }

    /// <summary><see cref="Create"/> for parts already checked (the event factory's own helpers pass constants).</summary>
    internal static SecurityEvent CreateTrusted(SecurityEventType type, string agentId, string? spiffeId, EventSeverity severity,
        EventOutcome outcome, EventData data, EventActor? actor, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        var trace = EventTrace.Current;
        string? traceId = null, spanId = null;
        if (trace is null && Activity.Current is { } activity && activity.IdFormat == ActivityIdFormat.W3C)
        {
            traceId = activity.TraceId.ToHexString();
            spanId = activity.SpanId.ToHexString();
        }
        var idBase = EventId.NextPosition(now, out var sequence);
        return new SecurityEvent(idBase, sequence, type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, trace, traceId, spanId, actor, data, trusted: true);
    }

    /// <summary>A new event now, in an explicit trace instead of <see cref="Activity.Current"/>'s (parts already checked).</summary>
    internal static SecurityEvent CreateInTrace(SecurityEventType type, string agentId, string? spiffeId, EventSeverity severity,
        EventOutcome outcome, EventData data, EventActor? actor, TimeProvider timeProvider, string? traceId, string? spanId)
    {
        var now = timeProvider.GetUtcNow();
        var idBase = EventId.NextPosition(now, out var sequence);
        return new SecurityEvent(idBase, sequence, type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, null, traceId, spanId, actor, data, trusted: true);
    }

    /// <summary>A new event now, in an explicit trace position instead of the ambient one (parts already checked).</summary>
    internal static SecurityEvent CreateInTrace(SecurityEventType type, string agentId, string? spiffeId, EventSeverity severity,
        EventOutcome outcome, EventData data, EventActor? actor, TimeProvider timeProvider, EventTrace? trace)
    {
        var now = timeProvider.GetUtcNow();
        var idBase = EventId.NextPosition(now, out var sequence);
        return new SecurityEvent(idBase, sequence, type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, trace, null, null, actor, data, trusted: true);
    }

    /// <summary>Unique, sortable id: <c>evt_</c> followed by a ULID.</summary>
    public string Id
    {
        get
        {
            // Read once: another thread's first read may replace the state with the text at any moment.
            var id = _id;
            return id as string ?? FormatId((EventId.State)id);
        }
    }

    /// <summary>The event type.</summary>
    public SecurityEventType Type => (SecurityEventType)_type;

    /// <summary>When the event happened, in UTC with millisecond precision.</summary>
    public DateTimeOffset Timestamp => new(_utcTicks, TimeSpan.Zero);

    /// <summary>The name of the agent that emitted the event.</summary>
    public string AgentId { get; }

    /// <summary>The emitting agent's SPIFFE ID, once its identity is known.</summary>
    public string? SpiffeId { get; }

    /// <summary>How urgent the event is.</summary>
    public EventSeverity Severity => (EventSeverity)_severity;

    /// <summary>What happened to the attempted action.</summary>
    public EventOutcome Outcome => (EventOutcome)_outcome;

    /// <summary>The W3C trace id (32 hex digits) the event belongs to, when traced.</summary>
    public string? TraceId => _trace switch
    {
        EventTrace trace => trace.TraceId,
        ExplicitTrace explicitTrace => explicitTrace.TraceId,
        _ => null,
    };

    /// <summary>The W3C span id (16 hex digits) current when the event was created.</summary>
    public string? SpanId => _trace switch
    {
        EventTrace trace => trace.SpanId,
        ExplicitTrace explicitTrace => explicitTrace.SpanId,
        _ => null,
    };

    /// <summary>Who performed the action, when known.</summary>
    public EventActor? Actor { get; }

    /// <summary>Type-specific fields; always contains <c>action</c> for events made by Aztp's event factory.</summary>
    public EventData Data { get; }

    /// <summary>A copy of this event with other data (same id, time and trace); used by redaction.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public SecurityEvent WithData(EventData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new(this, _trace, data);
    }

    /// <summary>
    /// A copy of this event (same id, time and data) that belongs to an explicit W3C trace, for code that tracks a
    /// span without making it <see cref="Activity.Current"/> (for example the client side of an RPC).
    /// </summary>
    /// <param name="traceId">32 lower-case hex digits, or null.</param>
    /// <param name="spanId">16 lower-case hex digits, or null.</param>
    public SecurityEvent WithTrace(string? traceId, string? spanId) => new(this, ExplicitTrace.Of(traceId, spanId), Data);

    /// <summary>
    /// A copy of this event (same id, time and data) at an explicit trace position, for code that tracks a span without
    /// making it <see cref="EventTrace.Current"/> (for example the client side of an RPC).
    /// </summary>
    /// <param name="trace">The trace position, or <see langword="null"/> for none.</param>
    public SecurityEvent WithTrace(EventTrace? trace) => new(this, trace, Data);

    /// <summary>The canonical JSON of this event.</summary>
    public override string ToString() => SecurityEventJson.Serialize(this);

    /// <inheritdoc/>
    public bool Equals(SecurityEvent? other) =>
        other is not null
        && string.Equals(Id, other.Id, StringComparison.Ordinal)
        && Type == other.Type
        && Timestamp == other.Timestamp
        && string.Equals(AgentId, other.AgentId, StringComparison.Ordinal)
        && string.Equals(SpiffeId, other.SpiffeId, StringComparison.Ordinal)
        && Severity == other.Severity
        && Outcome == other.Outcome
        && string.Equals(TraceId, other.TraceId, StringComparison.Ordinal)
        && string.Equals(SpanId, other.SpanId, StringComparison.Ordinal)
        && Equals(Actor, other.Actor)
        && Data.Equals(other.Data);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SecurityEvent other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    // Racing first reads format equal strings; either may be kept.
    private string FormatId(EventId.State idBase)
    {
        var text = EventId.Format(idBase.At(_idSequence));
        _id = text;
        return text;
    }

    /// <summary>Trace ids given as text (an <see cref="Activity"/>'s, a stored event's or a caller's); null when both are null.</summary>
    private sealed class ExplicitTrace(string? traceId, string? spanId)
    {
        public string? TraceId { get; } = traceId;

        public string? SpanId { get; } = spanId;

        public static ExplicitTrace? Of(string? traceId, string? spanId) =>
            traceId is null && spanId is null ? null : new ExplicitTrace(traceId, spanId);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
