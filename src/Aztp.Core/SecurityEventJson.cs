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
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        Write(writer, securityEvent);
        writer.Flush();
    }

    /// <summary>Writes the canonical JSON object to a JSON writer.</summary>
    public static void Write(Utf8JsonWriter writer, SecurityEvent securityEvent)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(securityEvent);
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
}
