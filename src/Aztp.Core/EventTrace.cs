using System.Diagnostics;

namespace Aztp.Core;

/// <summary>
/// A W3C trace position (trace id and span id) that security events take their <c>traceId</c> and <c>spanId</c> from,
/// without a <see cref="Activity"/>. <see cref="SecurityEventFactory"/> and <see cref="SecurityEvent.Create"/> read
/// <see cref="Current"/> first and fall back to <see cref="Activity.Current"/>, so code that only needs its events
/// (and its outgoing calls) to stay in a trace can carry it here for the cost of one small object; an
/// <see cref="Activity"/> remains the carrier whenever a tracing listener (for example OpenTelemetry) wants spans.
/// </summary>
/// <remarks>
/// The ids are kept as numbers and formatted as lower-case hex on first read (most events are never serialized with
/// their trace read); racing first reads format equal strings.
/// </remarks>
public sealed class EventTrace
{
    private static readonly AsyncLocal<EventTrace?> s_current = new();

    private readonly ulong _traceHigh;
    private readonly ulong _traceLow;
    private readonly ulong _span;
    // A traceparent received in canonical form (version 00, lower-case hex) whose characters 3..35 are this trace's id:
    // the id's text is cut from it when first read instead of being formatted again, and not at all when never read.
    private readonly string? _header;
    private string? _traceId;
    private string? _spanId;

    private EventTrace(ulong traceHigh, ulong traceLow, ulong span, string? traceId, string? header = null)
    {
        _traceHigh = traceHigh;
        _traceLow = traceLow;
        _span = span;
        _traceId = traceId;
        _header = header;
    }

    /// <summary>
    /// The trace position of the current asynchronous flow, or <see langword="null"/>. Like any
    /// <see cref="AsyncLocal{T}"/>, a value set inside an async method is seen by what that method awaits and calls, and
    /// not by its caller once it returns.
    /// </summary>
    public static EventTrace? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    /// <summary>The W3C trace id: 32 lower-case hex digits.</summary>
    public string TraceId => _traceId ??= _header is { } header ? header.Substring(3, 32) : string.Create(32, (_traceHigh, _traceLow), static (chars, ids) =>
    {
        WriteHex(ids._traceHigh, chars);
        WriteHex(ids._traceLow, chars[16..]);
    });

    /// <summary>The W3C span id (parent id) of this position: 16 lower-case hex digits.</summary>
    public string SpanId => _spanId ??= string.Create(16, _span, static (chars, span) => WriteHex(span, chars));

    /// <summary>A new span in a new trace (random, non-zero ids).</summary>
    public static EventTrace NewTrace()
    {
        ulong high, low;
        do
        {
            high = NextRandom();
            low = NextRandom();
        }
        while ((high | low) == 0);
        return new EventTrace(high, low, NewSpan(), null);
    }

    /// <summary>A new span in the same trace as this one (a child position, for example an outgoing call).</summary>
    public EventTrace NewChild() => new(_traceHigh, _traceLow, NewSpan(), _traceId, _header);

    /// <summary>A new span in the trace of <paramref name="traceId"/> (for example <see cref="Activity.Current"/>'s).</summary>
    /// <param name="traceId">A W3C trace id; an all-zero id starts a new trace instead.</param>
    public static EventTrace ChildOf(ActivityTraceId traceId)
    {
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        var high = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        return (high | low) == 0 ? NewTrace() : new EventTrace(high, low, NewSpan(), null);
    }

    /// <summary>
    /// Continues the caller's trace from a W3C <c>traceparent</c> header value with a new span, or starts a new trace
    /// when the value is absent or not one <see cref="ActivityContext.TryParse(string, string, out ActivityContext)"/>
    /// accepts (W3C Trace Context §3.2).
    /// </summary>
    /// <param name="traceparent">The header value, or <see langword="null"/>.</param>
    public static EventTrace ContinueOrStart(string? traceparent)
    {
        if (traceparent is null)
        {
            return NewTrace();
        }
        if (TryParsePlainVersion00(traceparent, out var high, out var low))
        {
            // The common case, checked here: the ids are read from the string without an intermediate ActivityContext,
            // and the trace id's text is already in canonical form (lower-case hex), so it is cut from the header when
            // first read rather than formatted again.
            return new EventTrace(high, low, NewSpan(), null, traceparent);
        }
        return ActivityContext.TryParse(traceparent, null, out var parent) ? ChildOf(parent.TraceId) : NewTrace();
    }

    /// <summary>The W3C <c>traceparent</c> value that makes a callee continue this trace under this span (sampled).</summary>
    public string ToTraceparent() => string.Create(55, this, static (chars, trace) =>
    {
        "00-".CopyTo(chars);
        if (trace._traceId is { } traceId)
        {
            traceId.CopyTo(chars[3..]);
        }
        else if (trace._header is { } header)
        {
            header.AsSpan(3, 32).CopyTo(chars[3..]);
        }
        else
        {
            WriteHex(trace._traceHigh, chars[3..]);
            WriteHex(trace._traceLow, chars[19..]);
        }
        chars[35] = '-';
        WriteHex(trace._span, chars[36..]);
        "-01".CopyTo(chars[52..]);
    });

    /// <summary>
    /// W3C Trace Context §3.2, version 00 exactly: <c>00-</c>, 32 lower-case hex trace id, <c>-</c>, 16 lower-case hex
    /// parent id, <c>-</c>, 2 hex flags; neither id all zeros. Anything else takes the general parser.
    /// </summary>
    internal static bool IsPlainVersion00(string value) => TryParsePlainVersion00(value, out _, out _);

    /// <summary><see cref="IsPlainVersion00"/>, also giving the trace id's two halves.</summary>
    private static bool TryParsePlainVersion00(string value, out ulong high, out ulong low)
    {
        high = low = 0;
        if (value.Length != 55 || value[0] != '0' || value[1] != '0' || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }
        // One vectorized pass per field for the character class; the decoder below also takes upper-case digits, which
        // version 00 forbids, so the class is checked first.
        var span = value.AsSpan();
        var traceId = span.Slice(3, 32);
        var parentId = span.Slice(36, 16);
        if (traceId.ContainsAnyExcept(LowerHex) || parentId.ContainsAnyExcept(LowerHex) || span.Slice(53, 2).ContainsAnyExcept(LowerHex))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[24];
        if (Convert.FromHexString(traceId, bytes[..16], out _, out _) != System.Buffers.OperationStatus.Done
            || Convert.FromHexString(parentId, bytes[16..], out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }
        high = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        // Neither id may be all zeros.
        return (high | low) != 0 && System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]) != 0;
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Writes <paramref name="value"/> as 16 lower-case hex digits (big-endian, zero-padded).</summary>
    private static void WriteHex(ulong value, Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Convert.TryToHexStringLower(bytes, destination[..16], out _);
    }

    private static ulong NewSpan()
    {
        ulong span;
        while ((span = NextRandom()) == 0)
        {
        }
        return span;
    }

    // Trace and span ids need uniqueness, not secrecy (as for Activity's own random ids).
#pragma warning disable CA5394 // Random is insecure: not used for anything secret.
    private static ulong NextRandom() => (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
#pragma warning restore CA5394
}
