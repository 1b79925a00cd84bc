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
    // An event made here has no id until one is needed (most handlers never read it). One field says where it stands:
    // null (none yet), Claiming (a monitor is fixing it now), a ring's EventId.Base with the int offset beside it (fixed
    // by a monitor; the text is made on first read and then replaces it), the text itself (an id fixed by a first read
    // before any monitor, and every event made from a stored id), or, in a copy made before the id was fixed, the event
    // it was copied from.
    private static readonly object Claiming = new();
    private object? _id;
    private int _idSequence;
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
        if (!TakeFixedId(source))
        {
            // No id yet (or one being fixed): this copy reads it from the source, or from the source's own source, so a
            // copy always points at the event that will hold the id.
            _id = Volatile.Read(ref source._id) as SecurityEvent ?? source;
        }
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

    private SecurityEvent(SecurityEventType type, DateTimeOffset utcMilliseconds, string agentId, string? spiffeId,
        EventSeverity severity, EventOutcome outcome, EventTrace? trace, string? traceId, string? spanId, EventActor? actor, EventData data, bool trusted)
    {
        Debug.Assert(trusted);
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
        return new SecurityEvent(type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, trace, traceId, spanId, actor, data, trusted: true);
    }

    /// <summary>A new event now, in an explicit trace instead of <see cref="Activity.Current"/>'s (parts already checked).</summary>
    internal static SecurityEvent CreateInTrace(SecurityEventType type, string agentId, string? spiffeId, EventSeverity severity,
        EventOutcome outcome, EventData data, EventActor? actor, TimeProvider timeProvider, string? traceId, string? spanId)
    {
        var now = timeProvider.GetUtcNow();
        return new SecurityEvent(type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, null, traceId, spanId, actor, data, trusted: true);
    }

    /// <summary>A new event now, in an explicit trace position instead of the ambient one (parts already checked).</summary>
    internal static SecurityEvent CreateInTrace(SecurityEventType type, string agentId, string? spiffeId, EventSeverity severity,
        EventOutcome outcome, EventData data, EventActor? actor, TimeProvider timeProvider, EventTrace? trace)
    {
        var now = timeProvider.GetUtcNow();
        return new SecurityEvent(type, TruncateToMilliseconds(now), agentId, spiffeId, severity, outcome, trace, null, null, actor, data, trusted: true);
    }

    /// <summary>
    /// Unique, sortable id: <c>evt_</c> followed by a ULID. Fixed when the event is first emitted to a monitor (or, if
    /// something reads it before that, when it is first read), and the same on every read and in every copy.
    /// </summary>
    public string Id
    {
        get
        {
            var spin = new SpinWait();
            while (true)
            {
                var id = Volatile.Read(ref _id);
                switch (id)
                {
                    case string text:
                        return text;
                    case EventId.Base run:
                        // A ring's ids carry the event's own millisecond. Any reader may replace the run with the text:
                        // every one makes the same text.
                        var formatted = EventId.Format(run.At(TimestampMs, _idSequence));
                        _id = formatted;
                        return formatted;
                    case SecurityEvent source:
                        var fromSource = source.Id;
                        _id = fromSource;
                        return fromSource;
                    case null:
                        // Read before any monitor fixed it: the process-wide stream gives one now.
                        var next = EventId.Format(EventId.Next(Timestamp));
                        if (Interlocked.CompareExchange(ref _id, next, null) is null)
                        {
                            return next;
                        }
                        continue;
                    default:
                        // A monitor is between its claim and its write (two instructions on another thread).
                        spin.SpinOnce(sleep1Threshold: -1);
                        continue;
                }
            }
        }
    }

    /// <summary>
    /// Called by a monitor's ring once it has reserved position <paramref name="offset"/> of <paramref name="run"/> for
    /// this event: fixes the id there unless the event already has one (read earlier, or emitted before).
    /// </summary>
    internal void FixId(EventId.Base run, int offset)
    {
        var target = Volatile.Read(ref _id) as SecurityEvent ?? this;
        if (Volatile.Read(ref target._id) is null && Interlocked.CompareExchange(ref target._id, Claiming, null) is null)
        {
            target._idSequence = offset;
            Volatile.Write(ref target._id, run);
        }
        if (!ReferenceEquals(target, this))
        {
            // A copy (a redacted one, say) takes the fixed id itself, so that it no longer holds on to its source.
            TakeFixedId(target);
        }
    }

    /// <summary>Takes <paramref name="source"/>'s id if it is fixed (text, or a ring position); false if it is not yet.</summary>
    private bool TakeFixedId(SecurityEvent source)
    {
        var id = Volatile.Read(ref source._id);
        if (id is EventId.Base)
        {
            // The offset was written before the run was published, and is read after it.
            _idSequence = source._idSequence;
        }
        else if (id is not string)
        {
            return false;
        }
        Volatile.Write(ref _id, id);
        return true;
    }

    private long TimestampMs => (_utcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMillisecond;

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
