using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Aztp.Core;

/// <summary>
/// The one canonical JSON form of a <see cref="SecurityEvent"/>: a single line, fields in the fixed order
/// <c>id, type, timestamp, agentId, spiffeId, severity, outcome, traceId, spanId, actor, data</c> (absent optional
/// fields omitted), enum values in lower case, the timestamp as UTC <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>, data keys in
/// canonical order (<c>action</c>, <c>success</c>, then ordinal). The same event always yields the same bytes, which is
/// what the audit chain hashes. docs/events.md specifies the form.
/// </summary>
public static class SecurityEventJson
{
    /// <summary>Writer settings of the canonical form: compact, minimal escaping (control characters are always escaped).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>The canonical JSON as a string.</summary>
    public static string Serialize(SecurityEvent securityEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(buffer, securityEvent);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The canonical JSON as UTF-8 bytes.</summary>
    public static byte[] SerializeToUtf8Bytes(SecurityEvent securityEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(buffer, securityEvent);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the canonical JSON (UTF-8, no trailing newline) to a buffer.</summary>
    public static void Write(IBufferWriter<byte> output, SecurityEvent securityEvent)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(securityEvent);
        for (var hint = FastPathInitialBytes; ; hint *= 4)
        {
            var result = CanonicalUtf8.TryWrite(output.GetSpan(hint), securityEvent, out var written);
            if (result == CanonicalUtf8.Result.Done)
            {
                output.Advance(written);
                return;
            }
            if (result == CanonicalUtf8.Result.Unsupported || hint >= FastPathMaxBytes)
            {
                break;
            }
        }
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteStructured(writer, securityEvent);
        writer.Flush();
    }

    /// <summary>Writes the canonical JSON object to a JSON writer.</summary>
    public static void Write(Utf8JsonWriter writer, SecurityEvent securityEvent)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(securityEvent);
        if (!writer.Options.Indented && IsKnownEncoder(writer.Options.Encoder)
            && writer.CurrentDepth + CanonicalUtf8.MaxDepth + 2 <= EffectiveMaxDepth(writer.Options))
        {
            // The bytes are the ones the writer would produce token by token (same escaping, same number forms), so they
            // go in as one raw value; anything the fast path does not cover takes the token-by-token path below.
            Span<byte> local = stackalloc byte[FastPathInitialBytes];
            var result = CanonicalUtf8.TryWrite(local, securityEvent, out var written);
            if (result == CanonicalUtf8.Result.Done)
            {
                writer.WriteRawValue(local[..written], skipInputValidation: true);
                return;
            }
            for (var size = FastPathInitialBytes * 4; result == CanonicalUtf8.Result.TooSmall && size <= FastPathMaxBytes; size *= 4)
            {
                var rented = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    result = CanonicalUtf8.TryWrite(rented, securityEvent, out written);
                    if (result == CanonicalUtf8.Result.Done)
                    {
                        writer.WriteRawValue(rented.AsSpan(0, written), skipInputValidation: true);
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        WriteStructured(writer, securityEvent);
    }

    private const int FastPathInitialBytes = 1024;
    private const int FastPathMaxBytes = 1 << 20;

    // The fast path emits printable ASCII other than "&'+<>\` verbatim; both the default and the relaxed encoder do too.
    private static bool IsKnownEncoder(JavaScriptEncoder? encoder) =>
        encoder is null || ReferenceEquals(encoder, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) || ReferenceEquals(encoder, JavaScriptEncoder.Default);

    private static int EffectiveMaxDepth(JsonWriterOptions options) => options.MaxDepth == 0 ? 1000 : options.MaxDepth;

    // The canonical form written token by token: the reference the fast path must match byte for byte, and the path
    // for content the fast path leaves alone (non-ASCII or escaped characters, very deep or very large data).
    internal static void WriteStructured(Utf8JsonWriter writer, SecurityEvent securityEvent)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, securityEvent.Id);
        writer.WriteString("type"u8, TypeName(securityEvent.Type));
        // The round-trip format ("O") has a fast path; it gives seven fractional digits, of which the canonical form
        // keeps three (timestamps are already truncated to milliseconds).
        Span<byte> ts = stackalloc byte[33];
        securityEvent.Timestamp.UtcDateTime.TryFormat(ts, out _, "O", CultureInfo.InvariantCulture);
        ts[23] = (byte)'Z';
        writer.WriteString("timestamp"u8, ts[..24]);
        writer.WriteString("agentId"u8, securityEvent.AgentId);
        if (securityEvent.SpiffeId is not null)
        {
            writer.WriteString("spiffeId"u8, securityEvent.SpiffeId);
        }
        writer.WriteString("severity"u8, SeverityName(securityEvent.Severity));
        writer.WriteString("outcome"u8, OutcomeName(securityEvent.Outcome));
        if (securityEvent.TraceId is not null)
        {
            writer.WriteString("traceId"u8, securityEvent.TraceId);
        }
        if (securityEvent.SpanId is not null)
        {
            writer.WriteString("spanId"u8, securityEvent.SpanId);
        }
        if (securityEvent.Actor is { } actor)
        {
            writer.WriteStartObject("actor"u8);
            writer.WriteString("type"u8, actor.Type);
            if (actor.Id is not null)
            {
                writer.WriteString("id"u8, actor.Id);
            }
            if (actor.Ip is not null)
            {
                writer.WriteString("ip"u8, actor.Ip);
            }
            writer.WriteEndObject();
        }
        writer.WritePropertyName("data"u8);
        WriteData(writer, securityEvent.Data);
        writer.WriteEndObject();
    }

    /// <summary>Reads an event from its JSON (canonical or not; field order is free).</summary>
    /// <exception cref="JsonException">The JSON is not a well-formed security event; the message says what is wrong.</exception>
    public static SecurityEvent Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Deserialize(System.Text.Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads an event from UTF-8 JSON (canonical or not; field order is free).</summary>
    /// <exception cref="JsonException">The JSON is not a well-formed security event; the message says what is wrong.</exception>
    public static SecurityEvent Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new JsonException("Empty input: expected a security event object.");
        }
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read())
        {
            throw new JsonException("Empty input: expected a security event object.");
        }
        var result = Read(ref reader);
        if (reader.Read())
        {
            throw new JsonException("Unexpected content after the security event object.");
        }
        return result;
    }

    /// <summary>Reads an event object at the reader's current token (a start-object).</summary>
    /// <exception cref="JsonException">The JSON is not a well-formed security event.</exception>
    public static SecurityEvent Read(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject, "a security event object");
        string? id = null, agentId = null, spiffeId = null, traceId = null, spanId = null;
        SecurityEventType? type = null;
        EventSeverity? severity = null;
        EventOutcome? outcome = null;
        DateTimeOffset? timestamp = null;
        EventActor? actor = null;
        EventData? data = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "id": id = ReadString(ref reader, name); break;
                case "type": type = ParseType(ReadString(ref reader, name)); break;
                case "timestamp": timestamp = ParseTimestamp(ReadString(ref reader, name)); break;
                case "agentId": agentId = ReadString(ref reader, name); break;
                case "spiffeId": spiffeId = ReadNullableString(ref reader, name); break;
                case "severity": severity = ParseSeverity(ReadString(ref reader, name)); break;
                case "outcome": outcome = ParseOutcome(ReadString(ref reader, name)); break;
                case "traceId": traceId = ReadNullableString(ref reader, name); break;
                case "spanId": spanId = ReadNullableString(ref reader, name); break;
                case "actor": actor = ReadActor(ref reader); break;
                case "data": data = ReadObject(ref reader); break;
                default: throw new JsonException($"Unknown security event field '{name}'.");
            }
        }
        if (id is null || type is null || timestamp is null || agentId is null || severity is null || outcome is null || data is null)
        {
            throw new JsonException("A security event needs id, type, timestamp, agentId, severity, outcome and data.");
        }
        try
        {
            return new SecurityEvent(id, type.Value, timestamp.Value, agentId, spiffeId, severity.Value, outcome.Value, traceId, spanId, actor, data);
        }
        catch (ArgumentException ex)
        {
            throw new JsonException($"Invalid security event: {ex.Message}", ex);
        }
    }

    /// <summary>The JSON name of an event type (<c>identity</c>, <c>policy</c>, <c>rpc</c>, <c>monitoring</c>, <c>system</c>).</summary>
    public static string TypeName(SecurityEventType type) => type switch
    {
        SecurityEventType.Identity => "identity",
        SecurityEventType.Policy => "policy",
        SecurityEventType.Rpc => "rpc",
        SecurityEventType.Monitoring => "monitoring",
        SecurityEventType.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type."),
    };

    /// <summary>The JSON name of a severity.</summary>
    public static string SeverityName(EventSeverity severity) => severity switch
    {
        EventSeverity.Info => "info",
        EventSeverity.Warning => "warning",
        EventSeverity.Error => "error",
        EventSeverity.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown severity."),
    };

    /// <summary>The JSON name of an outcome.</summary>
    public static string OutcomeName(EventOutcome outcome) => outcome switch
    {
        EventOutcome.Success => "success",
        EventOutcome.Failure => "failure",
        EventOutcome.Denied => "denied",
        EventOutcome.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
    };

    /// <summary>Parses an event type name; throws <see cref="JsonException"/> for an unknown name.</summary>
    public static SecurityEventType ParseType(string name) => name switch
    {
        "identity" => SecurityEventType.Identity,
        "policy" => SecurityEventType.Policy,
        "rpc" => SecurityEventType.Rpc,
        "monitoring" => SecurityEventType.Monitoring,
        "system" => SecurityEventType.System,
        _ => throw new JsonException($"Unknown event type '{name}'."),
    };

    /// <summary>Parses a severity name; throws <see cref="JsonException"/> for an unknown name.</summary>
    public static EventSeverity ParseSeverity(string name) => name switch
    {
        "info" => EventSeverity.Info,
        "warning" => EventSeverity.Warning,
        "error" => EventSeverity.Error,
        "critical" => EventSeverity.Critical,
        _ => throw new JsonException($"Unknown severity '{name}'."),
    };

    /// <summary>Parses an outcome name; throws <see cref="JsonException"/> for an unknown name.</summary>
    public static EventOutcome ParseOutcome(string name) => name switch
    {
        "success" => EventOutcome.Success,
        "failure" => EventOutcome.Failure,
        "denied" => EventOutcome.Denied,
        "error" => EventOutcome.Error,
        _ => throw new JsonException($"Unknown outcome '{name}'."),
    };

    private static void WriteData(Utf8JsonWriter writer, EventData data)
    {
        writer.WriteStartObject();
        for (var i = 0; i < data.Count; i++)
        {
            writer.WritePropertyName(data.KeyAt(i));
            WriteValue(writer, data.ValueAt(i));
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, EventValue value)
    {
        switch (value.Kind)
        {
            case EventValueKind.Null: writer.WriteNullValue(); break;
            case EventValueKind.String: writer.WriteStringValue(value.AsString()); break;
            case EventValueKind.Boolean: writer.WriteBooleanValue(value.AsBoolean()!.Value); break;
            case EventValueKind.Integer: writer.WriteNumberValue(value.AsInteger()!.Value); break;
            case EventValueKind.Number: writer.WriteNumberValue(value.AsNumber()!.Value); break;
            case EventValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsArray())
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
                break;
            case EventValueKind.Object: WriteData(writer, value.AsObject()!); break;
        }
    }

    private static EventData ReadObject(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject, "an object");
        var builder = new EventData.Builder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            if (!seen.Add(key))
            {
                throw new JsonException($"Duplicate data field '{key}'.");
            }
            reader.Read();
            builder[key] = ReadValue(ref reader);
        }
        return builder.Build();
    }

    private static EventValue ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return EventValue.Null;
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return l;
                }
                return EventValue.FromNumber(reader.GetDouble());
            case JsonTokenType.StartArray:
                var items = ImmutableArray.CreateBuilder<EventValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader));
                }
                return items.ToImmutable();
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            default:
                throw new JsonException($"Unexpected JSON token {reader.TokenType} in event data.");
        }
    }

    private static EventActor? ReadActor(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        Expect(ref reader, JsonTokenType.StartObject, "the actor object");
        string? type = null, id = null, ip = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "type": type = ReadString(ref reader, "actor.type"); break;
                case "id": id = ReadNullableString(ref reader, "actor.id"); break;
                case "ip": ip = ReadNullableString(ref reader, "actor.ip"); break;
                default: throw new JsonException($"Unknown actor field '{name}'.");
            }
        }
        return new EventActor(type ?? throw new JsonException("The actor needs a type."), id, ip);
    }

    private static string ReadString(ref Utf8JsonReader reader, string field) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException($"Field '{field}' must be a string.");

    private static string? ReadNullableString(ref Utf8JsonReader reader, string field) =>
        reader.TokenType == JsonTokenType.Null ? null : ReadString(ref reader, field);

    private static DateTimeOffset ParseTimestamp(string text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            throw new JsonException($"Field 'timestamp' is not an ISO 8601 time: '{text}'.");
        }
        return value;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"Expected {what}, found {reader.TokenType}.");
        }
    }

    /// <summary>
    /// Writes the canonical form straight to UTF-8 bytes, without a JSON writer, for the content events almost always
    /// have: strings of printable ASCII that no encoder escapes, integers, finite numbers, booleans, nulls and shallow
    /// nesting. Anything else is reported as unsupported and written by <see cref="WriteStructured"/> instead, so the
    /// output is always exactly what <see cref="Utf8JsonWriter"/> with <see cref="WriterOptions"/> produces.
    /// </summary>
    private static class CanonicalUtf8
    {
        public const int MaxDepth = 32;

        public enum Result
        {
            Done,
            TooSmall,
            Unsupported,
        }

        // Printable ASCII except the characters some encoder escapes: '"' and '\\' (always), and "&'+<>`" (the default
        // encoder's HTML-sensitive set; the relaxed one keeps them). Control characters and DEL are excluded too.
        private static readonly SearchValues<char> Verbatim = SearchValues.Create(
            " !#$%()*,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~");

        public static Result TryWrite(Span<byte> destination, SecurityEvent e, out int written)
        {
            var w = new Cursor(destination);
            w.Raw("{\"id\":"u8);
            w.String(e.Id);
            w.Raw(",\"type\":"u8);
            w.Raw(TypeBytes(e.Type));
            w.Raw(",\"timestamp\":\""u8);
            w.Timestamp(e.Timestamp);
            w.Raw("\",\"agentId\":"u8);
            w.String(e.AgentId);
            if (e.SpiffeId is not null)
            {
                w.Raw(",\"spiffeId\":"u8);
                w.String(e.SpiffeId);
            }
            w.Raw(",\"severity\":"u8);
            w.Raw(SeverityBytes(e.Severity));
            w.Raw(",\"outcome\":"u8);
            w.Raw(OutcomeBytes(e.Outcome));
            if (e.TraceId is not null)
            {
                w.Raw(",\"traceId\":"u8);
                w.String(e.TraceId);
            }
            if (e.SpanId is not null)
            {
                w.Raw(",\"spanId\":"u8);
                w.String(e.SpanId);
            }
            if (e.Actor is { } actor)
            {
                w.Raw(",\"actor\":{\"type\":"u8);
                w.String(actor.Type);
                if (actor.Id is not null)
                {
                    w.Raw(",\"id\":"u8);
                    w.String(actor.Id);
                }
                if (actor.Ip is not null)
                {
                    w.Raw(",\"ip\":"u8);
                    w.String(actor.Ip);
                }
                w.Raw("}"u8);
            }
            w.Raw(",\"data\":"u8);
            w.Object(e.Data, 1);
            w.Raw("}"u8);
            written = w.Position;
            return w.Status;
        }

        // The enum names are fixed ASCII: quoted once here rather than checked and copied per event.
        private static ReadOnlySpan<byte> TypeBytes(SecurityEventType type) => type switch
        {
            SecurityEventType.Identity => "\"identity\""u8,
            SecurityEventType.Policy => "\"policy\""u8,
            SecurityEventType.Rpc => "\"rpc\""u8,
            SecurityEventType.Monitoring => "\"monitoring\""u8,
            SecurityEventType.System => "\"system\""u8,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type."),
        };

        private static ReadOnlySpan<byte> SeverityBytes(EventSeverity severity) => severity switch
        {
            EventSeverity.Info => "\"info\""u8,
            EventSeverity.Warning => "\"warning\""u8,
            EventSeverity.Error => "\"error\""u8,
            EventSeverity.Critical => "\"critical\""u8,
            _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "Unknown severity."),
        };

        private static ReadOnlySpan<byte> OutcomeBytes(EventOutcome outcome) => outcome switch
        {
            EventOutcome.Success => "\"success\""u8,
            EventOutcome.Failure => "\"failure\""u8,
            EventOutcome.Denied => "\"denied\""u8,
            EventOutcome.Error => "\"error\""u8,
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
        };

        // Writes until the first step that does not fit or is not covered; later steps are then no-ops.
        private ref struct Cursor
        {
            private readonly Span<byte> _buffer;
            private int _position;

            public Cursor(Span<byte> buffer)
            {
                _buffer = buffer;
                Status = Result.Done;
            }

            public Result Status { get; private set; }

            public readonly int Position => _position;

            public void Raw(ReadOnlySpan<byte> bytes)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                if (!bytes.TryCopyTo(_buffer[_position..]))
                {
                    Status = Result.TooSmall;
                    return;
                }
                _position += bytes.Length;
            }

            public void String(string value)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                if (value.AsSpan().ContainsAnyExcept(Verbatim))
                {
                    Status = Result.Unsupported;
                    return;
                }
                if (value.Length + 2 > _buffer.Length - _position)
                {
                    Status = Result.TooSmall;
                    return;
                }
                _buffer[_position++] = (byte)'"';
                // Every character is ASCII (checked above): one byte each.
                System.Text.Ascii.FromUtf16(value, _buffer[_position..], out var n);
                _position += n;
                _buffer[_position++] = (byte)'"';
            }

            // UTC yyyy-MM-ddTHH:mm:ss.fffZ: the first 23 characters of the round-trip form ("O"), then 'Z'.
            public void Timestamp(DateTimeOffset timestamp)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                if (_buffer.Length - _position < 33)
                {
                    Status = Result.TooSmall;
                    return;
                }
                timestamp.UtcDateTime.TryFormat(_buffer[_position..], out _, "O", CultureInfo.InvariantCulture);
                _buffer[_position + 23] = (byte)'Z';
                _position += 24;
            }

            public void Object(EventData data, int depth)
            {
                if (depth > MaxDepth)
                {
                    Status = Result.Unsupported;
                }
                Raw("{"u8);
                for (var i = 0; i < data.Count && Status == Result.Done; i++)
                {
                    if (i > 0)
                    {
                        Raw(","u8);
                    }
                    String(data.KeyAt(i));
                    Raw(":"u8);
                    Value(data.ValueAt(i), depth);
                }
                Raw("}"u8);
            }

            private void Value(EventValue value, int depth)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                switch (value.Kind)
                {
                    case EventValueKind.Null: Raw("null"u8); break;
                    case EventValueKind.String: String(value.AsString()!); break;
                    case EventValueKind.Boolean: Raw(value.AsBoolean()!.Value ? "true"u8 : "false"u8); break;
                    case EventValueKind.Integer: Number(value.AsInteger()!.Value); break;
                    case EventValueKind.Number: Number(value.AsNumber()!.Value); break;
                    case EventValueKind.Array:
                        if (depth + 1 > MaxDepth)
                        {
                            Status = Result.Unsupported;
                            return;
                        }
                        Raw("["u8);
                        var items = value.AsArray();
                        for (var i = 0; i < items.Length && Status == Result.Done; i++)
                        {
                            if (i > 0)
                            {
                                Raw(","u8);
                            }
                            Value(items[i], depth + 1);
                        }
                        Raw("]"u8);
                        break;
                    case EventValueKind.Object: Object(value.AsObject()!, depth + 1); break;
                    default: Status = Result.Unsupported; break;
                }
            }

            private void Number(long value)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                if (!value.TryFormat(_buffer[_position..], out var n, default, CultureInfo.InvariantCulture))
                {
                    Status = Result.TooSmall;
                    return;
                }
                _position += n;
            }

            // Utf8JsonWriter writes a double in its shortest round-trip form with the invariant culture; non-finite
            // values (which EventValue rejects anyway) are left to it, and it refuses them.
            private void Number(double value)
            {
                if (Status != Result.Done)
                {
                    return;
                }
                if (!double.IsFinite(value))
                {
                    Status = Result.Unsupported;
                    return;
                }
                if (!value.TryFormat(_buffer[_position..], out var n, default, CultureInfo.InvariantCulture))
                {
                    Status = Result.TooSmall;
                    return;
                }
                _position += n;
            }
        }
    }
}
