using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Aztp.Core;

/// <summary>
/// Creates the common security events for one emitting agent, applying one rule for severity and outcome
/// (docs/events.md): success is info+success; a policy denial is warning+denied; a rejection caused by the peer or the
/// input is warning+failure; an internal fault is error+error; losing the ability to operate securely is critical.
/// </summary>
public sealed class SecurityEventFactory
{
    private readonly TimeProvider _time;
    private readonly EventActor _self;
    private EventActor? _lastPeer;
    private EventActor? _lastPeerWithoutIp;
    private LastData? _lastSent;
    private LastData? _lastReceived;
    private LastData? _lastEvaluated;
    private StringsValue? _lastStrings;
    private ResponseTemplate? _lastResponseReceived;
    private ResponseTemplate? _lastResponseSent;

    /// <summary>Creates a factory for an agent.</summary>
    /// <param name="agentId">The emitting agent's name (for example <c>finance</c>).</param>
    /// <param name="spiffeId">The agent's SPIFFE ID, when already known.</param>
    /// <param name="timeProvider">Clock for timestamps; the system clock by default.</param>
    public SecurityEventFactory(string agentId, string? spiffeId = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        AgentId = agentId;
        SpiffeId = spiffeId;
        _time = timeProvider ?? TimeProvider.System;
        _self = spiffeId is null ? EventActor.System : EventActor.Agent(spiffeId);
    }

    /// <summary>The emitting agent's name.</summary>
    public string AgentId { get; }

    /// <summary>The emitting agent's SPIFFE ID, when known.</summary>
    public string? SpiffeId { get; }

    /// <summary>The clock used for timestamps.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>A factory for the same agent with its SPIFFE ID set.</summary>
    public SecurityEventFactory WithSpiffeId(string? spiffeId) => new(AgentId, spiffeId, _time);

    /// <summary>Creates an event of any kind from this agent.</summary>
    public SecurityEvent Create(SecurityEventType type, EventSeverity severity, EventOutcome outcome, EventData data, EventActor? actor = null) =>
        SecurityEvent.Create(type, AgentId, SpiffeId, severity, outcome, data, actor, _time);

    // The helpers below pass constant, valid enum values: no need to check them again per event.
    private SecurityEvent Make(SecurityEventType type, EventSeverity severity, EventOutcome outcome, EventData data, EventActor? actor) =>
        SecurityEvent.CreateTrusted(type, AgentId, SpiffeId, severity, outcome, data, actor, _time);

    // ---- identity ----

    /// <summary>identity/verified: a peer presented a valid SVID.</summary>
    public SecurityEvent IdentityVerified(string peerSpiffeId, string? peerIp = null, string? method = null) =>
        Make(SecurityEventType.Identity, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.Verified, true, ("spiffeId", peerSpiffeId), ("method", method)),
            Peer(peerSpiffeId, peerIp));

    /// <summary>identity/failed: a peer's SVID or token was rejected.</summary>
    /// <param name="reason">A typed reason such as <c>expired</c>, <c>untrusted</c> or <c>not_an_svid</c>.</param>
    /// <param name="peerSpiffeId">The SPIFFE ID the peer claimed, when one could be read.</param>
    /// <param name="peerIp">The peer's address.</param>
    /// <param name="detail">A short explanation (no certificate or token content).</param>
    public SecurityEvent IdentityFailed(string reason, string? peerSpiffeId = null, string? peerIp = null, string? detail = null) =>
        Make(SecurityEventType.Identity, EventSeverity.Warning, EventOutcome.Failure,
            Data(EventActions.Failed, false, ("reason", reason), ("spiffeId", peerSpiffeId), ("detail", detail)),
            peerSpiffeId is null ? EventActor.Unknown(peerIp) : Peer(peerSpiffeId, peerIp));

    /// <summary>identity/setup_complete: this agent's identity is ready.</summary>
    public SecurityEvent IdentitySetupComplete(string spiffeId, DateTimeOffset? notAfter = null, string? source = null) =>
        Make(SecurityEventType.Identity, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.SetupComplete, true, ("spiffeId", spiffeId), ("notAfter", Format(notAfter)), ("source", source)),
            EventActor.System);

    /// <summary>identity/rotated: this agent's SVID (or its trust bundle) was replaced.</summary>
    public SecurityEvent IdentityRotated(string spiffeId, DateTimeOffset? notAfter = null, string? serial = null, string? what = null) =>
        Make(SecurityEventType.Identity, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.Rotated, true, ("spiffeId", spiffeId), ("notAfter", Format(notAfter)), ("serial", serial), ("what", what)),
            EventActor.System);

    /// <summary>identity/expiring: this agent's SVID expires soon (warning, still valid).</summary>
    public SecurityEvent IdentityExpiring(string spiffeId, DateTimeOffset notAfter, TimeSpan remaining) =>
        Make(SecurityEventType.Identity, EventSeverity.Warning, EventOutcome.Success,
            Data(EventActions.Expiring, true, ("spiffeId", spiffeId), ("notAfter", Format(notAfter)),
                ("remainingSeconds", (long)Math.Max(0, remaining.TotalSeconds))),
            EventActor.System);

    /// <summary>identity/expired: this agent's SVID expired with no replacement (critical).</summary>
    public SecurityEvent IdentityExpired(string spiffeId, DateTimeOffset notAfter) =>
        Make(SecurityEventType.Identity, EventSeverity.Critical, EventOutcome.Failure,
            Data(EventActions.Expired, false, ("spiffeId", spiffeId), ("notAfter", Format(notAfter))),
            EventActor.System);

    // ---- policy ----

    /// <summary>policy/evaluated: a call was authorized (info+success) or refused (warning+denied).</summary>
    /// <param name="allowed">The decision.</param>
    /// <param name="principal">The caller (for example its SPIFFE ID).</param>
    /// <param name="method">The method's policy name (for example <c>calculate-tax</c>).</param>
    /// <param name="reason">The determining policy's <c>@reason</c>, or a generated reason.</param>
    /// <param name="policyIds">The determining policies.</param>
    /// <param name="errors">Policies that failed to evaluate (skipped).</param>
    /// <param name="resource">The resource (this agent).</param>
    /// <param name="peerIp">The caller's address.</param>
    public SecurityEvent PolicyEvaluated(bool allowed, string principal, string method, string reason,
        IEnumerable<string>? policyIds = null, IEnumerable<string>? errors = null, string? resource = null, string? peerIp = null)
    {
        // Data() leaves out null fields: errors only when some policy failed, resource only when given.
        var errorList = errors is null ? EventValue.Null : Strings(errors);
        if (!errorList.IsNull && errorList.AsArray().Length == 0)
        {
            errorList = EventValue.Null;
        }
        var ids = Strings(policyIds ?? []);
        EventData data;
        if (errorList.IsNull && _lastEvaluated is { } last && last.Matches(allowed, reason, principal, method, resource, ids.Reference))
        {
            data = last.Data;
        }
        else
        {
            data = Data(EventActions.Evaluated, allowed, ("allowed", allowed), ("reason", reason), ("principal", principal), ("method", method),
                ("policyIds", ids), ("errors", errorList), ("resource", resource));
            if (errorList.IsNull)
            {
                _lastEvaluated = new LastData(allowed, reason, principal, method, resource, ids.Reference, data);
            }
        }
        return Make(SecurityEventType.Policy, allowed ? EventSeverity.Info : EventSeverity.Warning,
            allowed ? EventOutcome.Success : EventOutcome.Denied, data, Peer(principal, peerIp));
    }

    /// <summary>policy/loaded: a policy set became active.</summary>
    public SecurityEvent PolicyLoaded(string contentHash, int policyCount, string? source = null) =>
        Make(SecurityEventType.Policy, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.Loaded, true, ("contentHash", contentHash), ("policyCount", policyCount), ("source", source)),
            EventActor.System);

    /// <summary>policy/reload_failed: a new policy set was rejected (warning+failure); the last good set stays active.</summary>
    public SecurityEvent PolicyReloadFailed(string error, string? file = null, int? line = null, int? column = null, string? source = null) =>
        Make(SecurityEventType.Policy, EventSeverity.Warning, EventOutcome.Failure,
            Data(EventActions.ReloadFailed, false, ("error", error), ("file", file),
                ("line", line is null ? EventValue.Null : line.Value), ("column", column is null ? EventValue.Null : column.Value),
                ("source", source)),
            EventActor.System);

    // ---- rpc ----

    /// <summary>rpc/request_sent (client): a call to another agent started.</summary>
    public SecurityEvent RpcRequestSent(string method, string peer) =>
        Make(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success,
            RequestSentData(method, peer), ActorSelf());

    /// <summary>rpc/response_received (client): the call completed with status OK.</summary>
    public SecurityEvent RpcResponseReceived(string method, string peer, double durationMs) =>
        Make(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success,
            ResponseData(ref _lastResponseReceived, EventActions.ResponseReceived, method, peer, durationMs),
            ActorSelf());

    /// <summary>
    /// rpc/request_sent (client) in an explicit W3C trace, for a span that is not <see cref="System.Diagnostics.Activity.Current"/>:
    /// the same event as <c>RpcRequestSent(method, peer).WithTrace(traceId, spanId)</c>, made without the intermediate copy.
    /// </summary>
    /// <param name="method">The method.</param>
    /// <param name="peer">The target.</param>
    /// <param name="traceId">32 lower-case hex digits, or null.</param>
    /// <param name="spanId">16 lower-case hex digits, or null.</param>
    public SecurityEvent RpcRequestSent(string method, string peer, string? traceId, string? spanId) =>
        SecurityEvent.CreateInTrace(SecurityEventType.Rpc, AgentId, SpiffeId, EventSeverity.Info, EventOutcome.Success,
            RequestSentData(method, peer), ActorSelf(), _time, traceId, spanId);

    /// <summary>
    /// rpc/response_received (client) in an explicit W3C trace: the same event as
    /// <c>RpcResponseReceived(method, peer, durationMs).WithTrace(traceId, spanId)</c>, made without the intermediate copy.
    /// </summary>
    /// <param name="method">The method.</param>
    /// <param name="peer">The target.</param>
    /// <param name="durationMs">Time from start to end of the call.</param>
    /// <param name="traceId">32 lower-case hex digits, or null.</param>
    /// <param name="spanId">16 lower-case hex digits, or null.</param>
    public SecurityEvent RpcResponseReceived(string method, string peer, double durationMs, string? traceId, string? spanId) =>
        SecurityEvent.CreateInTrace(SecurityEventType.Rpc, AgentId, SpiffeId, EventSeverity.Info, EventOutcome.Success,
            ResponseData(ref _lastResponseReceived, EventActions.ResponseReceived, method, peer, durationMs),
            ActorSelf(), _time, traceId, spanId);

    /// <summary>
    /// rpc/request_sent (client) at an explicit trace position (the outgoing call's span, which is not
    /// <see cref="EventTrace.Current"/>): the same event as <c>RpcRequestSent(method, peer).WithTrace(trace)</c>, made
    /// without the intermediate copy; the ids are formatted only when read.
    /// </summary>
    /// <param name="method">The method.</param>
    /// <param name="peer">The target.</param>
    /// <param name="trace">The call's trace position, or <see langword="null"/>.</param>
    public SecurityEvent RpcRequestSent(string method, string peer, EventTrace? trace) =>
        SecurityEvent.CreateInTrace(SecurityEventType.Rpc, AgentId, SpiffeId, EventSeverity.Info, EventOutcome.Success,
            RequestSentData(method, peer), ActorSelf(), _time, trace);

    /// <summary>
    /// rpc/response_received (client) at an explicit trace position: the same event as
    /// <c>RpcResponseReceived(method, peer, durationMs).WithTrace(trace)</c>, made without the intermediate copy.
    /// </summary>
    /// <param name="method">The method.</param>
    /// <param name="peer">The target.</param>
    /// <param name="durationMs">Time from start to end of the call.</param>
    /// <param name="trace">The call's trace position, or <see langword="null"/>.</param>
    public SecurityEvent RpcResponseReceived(string method, string peer, double durationMs, EventTrace? trace) =>
        SecurityEvent.CreateInTrace(SecurityEventType.Rpc, AgentId, SpiffeId, EventSeverity.Info, EventOutcome.Success,
            ResponseData(ref _lastResponseReceived, EventActions.ResponseReceived, method, peer, durationMs),
            ActorSelf(), _time, trace);

    /// <summary>rpc/request_received (server): a call arrived from a verified caller.</summary>
    public SecurityEvent RpcRequestReceived(string method, string? callerSpiffeId, string? peerIp) =>
        Make(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success,
            RequestReceivedData(method, callerSpiffeId ?? peerIp),
            callerSpiffeId is null ? EventActor.Unknown(peerIp) : Peer(callerSpiffeId, peerIp));

    /// <summary>rpc/response_sent (server): the handler completed with status OK.</summary>
    public SecurityEvent RpcResponseSent(string method, string? callerSpiffeId, string? peerIp, double durationMs) =>
        Make(SecurityEventType.Rpc, EventSeverity.Info, EventOutcome.Success,
            ResponseData(ref _lastResponseSent, EventActions.ResponseSent, method, callerSpiffeId ?? peerIp, durationMs),
            callerSpiffeId is null ? EventActor.Unknown(peerIp) : Peer(callerSpiffeId, peerIp));

    /// <summary>
    /// rpc/failed: a call ended with a non-OK gRPC status or a transport error. UNKNOWN (2), INTERNAL (13) and
    /// DATA_LOSS (15) are internal faults (error+error); PERMISSION_DENIED (7) is warning+denied; any other status is
    /// warning+failure.
    /// </summary>
    /// <param name="method">The method.</param>
    /// <param name="peer">The other side (target address or caller SPIFFE ID).</param>
    /// <param name="statusCode">The gRPC status code.</param>
    /// <param name="status">The status name (for example <c>UNAVAILABLE</c>).</param>
    /// <param name="durationMs">Time from start to end of the call.</param>
    /// <param name="side"><c>client</c> or <c>server</c>.</param>
    /// <param name="actor">Who acted; this agent when <see langword="null"/>.</param>
    public SecurityEvent RpcFailed(string method, string? peer, int statusCode, string status, double durationMs, string side, EventActor? actor = null)
    {
        var (severity, outcome) = statusCode switch
        {
            2 or 13 or 15 => (EventSeverity.Error, EventOutcome.Error),
            7 => (EventSeverity.Warning, EventOutcome.Denied),
            _ => (EventSeverity.Warning, EventOutcome.Failure),
        };
        return Make(SecurityEventType.Rpc, severity, outcome,
            Data(EventActions.RpcFailed, false, ("method", method), ("peer", peer), ("statusCode", statusCode), ("status", status),
                ("durationMs", Round(durationMs)), ("side", side)),
            actor ?? ActorSelf());
    }

    /// <summary>rpc/denied (server): policy refused the call; the caller got PERMISSION_DENIED and the handler never ran.</summary>
    public SecurityEvent RpcDenied(string method, string principal, string? peerIp, double durationMs) =>
        Make(SecurityEventType.Rpc, EventSeverity.Warning, EventOutcome.Denied,
            Data(EventActions.Denied, false, ("method", method), ("peer", principal), ("statusCode", 7), ("durationMs", Round(durationMs))),
            Peer(principal, peerIp));

    // ---- monitoring ----

    /// <summary>monitoring/handler_failed: an event handler threw (the exception type only; messages can hold secrets).</summary>
    public SecurityEvent HandlerFailed(string handler, string eventId, string errorType) =>
        Make(SecurityEventType.Monitoring, EventSeverity.Error, EventOutcome.Error,
            Data(EventActions.HandlerFailed, false, ("handler", handler), ("eventId", eventId), ("errorType", errorType)),
            EventActor.System);

    /// <summary>monitoring/handler_timeout: an event handler ran past its timeout.</summary>
    public SecurityEvent HandlerTimeout(string handler, string eventId, TimeSpan timeout) =>
        Make(SecurityEventType.Monitoring, EventSeverity.Error, EventOutcome.Error,
            Data(EventActions.HandlerTimeout, false, ("handler", handler), ("eventId", eventId), ("timeoutMs", (long)timeout.TotalMilliseconds)),
            EventActor.System);

    /// <summary>monitoring/backpressure: the queue was full and emitters had to wait (nothing was dropped).</summary>
    public SecurityEvent Backpressure(int queueCapacity, long episode) =>
        Make(SecurityEventType.Monitoring, EventSeverity.Warning, EventOutcome.Failure,
            Data(EventActions.Backpressure, false, ("queueCapacity", queueCapacity), ("episode", episode)),
            EventActor.System);

    // ---- system ----

    /// <summary>system/started: the agent started.</summary>
    public SecurityEvent SystemStarted(string? version = null) =>
        Make(SecurityEventType.System, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.Started, true, ("version", version)), EventActor.System);

    /// <summary>system/stopped: the agent stopped.</summary>
    public SecurityEvent SystemStopped(long eventsEmitted) =>
        Make(SecurityEventType.System, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.Stopped, true, ("eventsEmitted", eventsEmitted)), EventActor.System);

    /// <summary>system/config_reloaded: configuration was reloaded.</summary>
    public SecurityEvent SystemConfigReloaded(string what, string? contentHash = null) =>
        Make(SecurityEventType.System, EventSeverity.Info, EventOutcome.Success,
            Data(EventActions.ConfigReloaded, true, ("what", what), ("contentHash", contentHash)), EventActor.System);

    private EventActor ActorSelf() => _self;

    // Events whose data has no per-call field (request_sent, request_received, policy/evaluated) carry the same data
    // call after call from one caller to one method with one decision. EventData is immutable, so the last data made for
    // each of them is reused when every input is equal (strings compared by content, the policy-ids value by identity,
    // which Strings() keeps while the names are the same); anything else makes new data and replaces it.
    private EventData RequestSentData(string method, string peer)
    {
        if (_lastSent is { } last && last.Matches(true, method, peer, null, null, null))
        {
            return last.Data;
        }
        var data = Data(EventActions.RequestSent, true, ("method", method), ("peer", peer));
        _lastSent = new LastData(true, method, peer, null, null, null, data);
        return data;
    }

    private EventData RequestReceivedData(string method, string? peer)
    {
        if (_lastReceived is { } last && last.Matches(true, method, peer, null, null, null))
        {
            return last.Data;
        }
        var data = Data(EventActions.RequestReceived, true, ("method", method), ("peer", peer));
        _lastReceived = new LastData(true, method, peer, null, null, null, data);
        return data;
    }

    // rpc/response_received and rpc/response_sent data differ from the last call's only in durationMs while the method
    // and peer are the same: the new data shares the first such data's keys and values and holds only the new duration
    // (EventData.WithNumberAt), instead of a fresh copy of every value. Its content is exactly what Data() would make.
    private static EventData ResponseData(ref ResponseTemplate? slot, string action, string method, string? peer, double durationMs)
    {
        // Checked (finite) before anything else, as the value conversion in Data() would.
        var duration = EventValue.FromNumber(Round(durationMs));
        var last = slot;
        if (last is not null && last.Matches(action, method, peer))
        {
            return last.Data.WithNumberAt(last.DurationIndex, duration);
        }
        var data = Data(action, true, ("method", method), ("peer", peer), ("statusCode", 0), ("durationMs", duration));
        slot = new ResponseTemplate(action, method, peer, data, data.IndexOfKey("durationMs"));
        return data;
    }

    // One immutable holder, so that a reader never sees half of an update.
    private sealed class ResponseTemplate(string action, string? method, string? peer, EventData data, int durationIndex)
    {
        public EventData Data { get; } = data;

        public int DurationIndex { get; } = durationIndex;

        public bool Matches(string action2, string? method2, string? peer2) =>
            ReferenceEquals(action, action2) && string.Equals(method, method2, StringComparison.Ordinal) && string.Equals(peer, peer2, StringComparison.Ordinal);
    }

    private sealed class LastData(bool flag, string? a, string? b, string? c, string? d, object? reference, EventData data)
    {
        public EventData Data { get; } = data;

        public bool Matches(bool flag2, string? a2, string? b2, string? c2, string? d2, object? reference2) =>
            flag == flag2 && ReferenceEquals(reference, reference2)
            && string.Equals(a, a2, StringComparison.Ordinal) && string.Equals(b, b2, StringComparison.Ordinal)
            && string.Equals(c, c2, StringComparison.Ordinal) && string.Equals(d, d2, StringComparison.Ordinal);
    }

    // The last peer actor made, reused while calls keep coming from the same caller and address (actors are
    // immutable, so events may share one); any other peer replaces it. Actors without an address (a policy decision's
    // principal) have their own slot, so one call's events, with and without the caller's address, don't evict each other.
    private EventActor Peer(string spiffeId, string? ip)
    {
        ref var slot = ref ip is null ? ref _lastPeerWithoutIp : ref _lastPeer;
        var last = slot;
        if (last is not null && string.Equals(last.Id, spiffeId, StringComparison.Ordinal) && string.Equals(last.Ip, ip, StringComparison.Ordinal))
        {
            return last;
        }
        last = EventActor.Agent(spiffeId, ip);
        slot = last;
        return last;
    }

    // A string array value; lists are copied once into the array, with no intermediate builder. The last array made
    // is reused when the next list holds the very same strings (a decision's policy names are the same list call after
    // call); its contents are compared, so a list changed in between is never answered with old values.
    private EventValue Strings(IEnumerable<string> values)
    {
        if (values is not IReadOnlyList<string> list)
        {
            return EventValue.FromStrings(values);
        }
        if (list.Count == 0)
        {
            return EmptyStrings;
        }
        var last = _lastStrings;
        if (last is not null && SameStrings(last.Value, list))
        {
            return last.Value;
        }
        var made = NewStrings(list);
        _lastStrings = new StringsValue(made);
        return made;
    }

    private static readonly EventValue EmptyStrings = EventValue.FromArray([]);

    private static bool SameStrings(EventValue value, IReadOnlyList<string> list)
    {
        var items = value.AsArray();
        if (items.Length != list.Count)
        {
            return false;
        }
        for (var i = 0; i < items.Length; i++)
        {
            if (!ReferenceEquals(items[i].AsString(), list[i]))
            {
                return false;
            }
        }
        return true;
    }

    // One immutable holder, so that a reader never sees half of an update.
    private sealed class StringsValue(EventValue value)
    {
        public EventValue Value { get; } = value;
    }

    private static EventValue NewStrings(IReadOnlyList<string> list)
    {
        var items = new EventValue[list.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = EventValue.FromString(list[i]);
        }
        return EventValue.FromArray(System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(items));
    }

    private static double Round(double ms) => Math.Round(ms, 3, MidpointRounding.AwayFromZero);

    private static string? Format(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // Builds data with action and success first; null values are left out so events stay small. Each call site passes
    // the same literal keys in the same order, so the canonical key order is worked out once per shape (call site and
    // set of non-null fields) and its key array is shared by every event of that shape; only the values are new.
    private static EventData Data(string action, bool success, params ReadOnlySpan<(string Key, EventValue Value)> fields)
    {
        var hash = 0;
        var n = 2;
        foreach (var field in fields)
        {
            if (!field.Value.IsNull)
            {
                hash = (hash * 31) + RuntimeHelpers.GetHashCode(field.Key);
                n++;
            }
        }
        var slot = (hash ^ (hash >> 16) ^ n) & (s_shapes.Length - 1);
        var shape = Volatile.Read(ref s_shapes[slot]);
        if (shape is null || !shape.Matches(fields, n))
        {
            shape = DataShape.Create(fields, n);
            Volatile.Write(ref s_shapes[slot], shape);
        }
        var values = new EventValue[n];
        var order = shape.Order;
        Span<int> present = stackalloc int[n];
        present[0] = -2;
        present[1] = -1;
        var k = 2;
        for (var i = 0; i < fields.Length; i++)
        {
            if (!fields[i].Value.IsNull)
            {
                present[k++] = i;
            }
        }
        for (var j = 0; j < n; j++)
        {
            var source = present[order[j]];
            values[j] = source switch
            {
                -2 => action,
                -1 => success,
                _ => fields[source].Value,
            };
        }
        return EventData.FromCanonical(shape.Keys, values);
    }

    // Shapes seen so far, by a hash of their key references; a collision only replaces an entry (each use checks it).
    private static readonly DataShape?[] s_shapes = new DataShape?[128];

    /// <summary>The keys of one data shape in canonical order, and where each comes from in the call's field list.</summary>
    private sealed class DataShape
    {
        // The non-null field keys in the caller's order (after action and success), to recognize the shape.
        private readonly string[] _declared;

        private DataShape(string[] declared, string[] keys, int[] order)
        {
            _declared = declared;
            Keys = new EventData.KeySet(keys, Array.TrueForAll(keys, k => !EventRedactor.IsSensitiveKey(k)));
            Order = order;
        }

        /// <summary>Every key (action, success and the fields) in canonical order; shared by the shape's events.</summary>
        public EventData.KeySet Keys { get; }

        /// <summary>For each canonical position, the index among the present fields (0 action, 1 success, then fields).</summary>
        public int[] Order { get; }

        public bool Matches(ReadOnlySpan<(string Key, EventValue Value)> fields, int n)
        {
            if (_declared.Length != n - 2)
            {
                return false;
            }
            var k = 0;
            foreach (var field in fields)
            {
                if (!field.Value.IsNull && !ReferenceEquals(_declared[k++], field.Key))
                {
                    return false;
                }
            }
            return true;
        }

        public static DataShape Create(ReadOnlySpan<(string Key, EventValue Value)> fields, int n)
        {
            var declared = new string[n - 2];
            var k = 0;
            foreach (var field in fields)
            {
                if (!field.Value.IsNull)
                {
                    declared[k++] = field.Key;
                }
            }
            var all = new string[n];
            all[0] = "action";
            all[1] = "success";
            declared.CopyTo(all, 2);
            var order = new int[n];
            for (var i = 0; i < n; i++)
            {
                order[i] = i;
            }
            // Sorting the positions by their keys gives, for each canonical slot, where its value comes from.
            Array.Sort(order, (a, b) => EventData.CanonicalKeyComparer.Instance.Compare(all[a], all[b]));
            var keys = new string[n];
            for (var i = 0; i < n; i++)
            {
                keys[i] = all[order[i]];
                if (i > 0 && string.Equals(keys[i - 1], keys[i], StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Event data key '{keys[i]}' appears more than once.", nameof(fields));
                }
            }
            return new DataShape(declared, keys, order);
        }
    }
}
