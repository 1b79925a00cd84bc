using System.Text.Json;
using Aztp.Core;

namespace Aztp.Core.Tests;

public class SecurityEventJsonTests
{
    private static SecurityEvent Sample(EventData? data = null) => new(
        "evt_01JD0000000000000000000000", SecurityEventType.Policy,
        new DateTimeOffset(2026, 11, 23, 12, 0, 1, 234, TimeSpan.FromHours(2)).AddTicks(5678),
        "finance", "spiffe://company.org/finance", EventSeverity.Warning, EventOutcome.Denied,
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        EventActor.Agent("spiffe://company.org/marketing", "127.0.0.1"),
        data ?? EventData.Of(new("reason", "forbid marketing"), new("allowed", false), new("success", false), new("action", "evaluated"),
            new("policyIds", EventValue.FromStrings(["deny-marketing"])), new("durationMs", 1.25), new("statusCode", 7)));

    [Fact]
    public void Serialize_WritesFieldsInCanonicalOrder_WithUtcMillisecondTimestamp()
    {
        var json = SecurityEventJson.Serialize(Sample());
        Assert.Equal(
            "{\"id\":\"evt_01JD0000000000000000000000\",\"type\":\"policy\",\"timestamp\":\"2026-11-23T10:00:01.234Z\",\"agentId\":\"finance\"," +
            "\"spiffeId\":\"spiffe://company.org/finance\",\"severity\":\"warning\",\"outcome\":\"denied\"," +
            "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\"," +
            "\"actor\":{\"type\":\"agent\",\"id\":\"spiffe://company.org/marketing\",\"ip\":\"127.0.0.1\"}," +
            "\"data\":{\"action\":\"evaluated\",\"success\":false,\"allowed\":false,\"durationMs\":1.25,\"policyIds\":[\"deny-marketing\"],\"reason\":\"forbid marketing\",\"statusCode\":7}}",
            json);
    }

    [Fact]
    public void Serialize_OmitsAbsentOptionalFields()
    {
        var e = new SecurityEvent("evt_x", SecurityEventType.System, DateTimeOffset.UnixEpoch, "a", null, EventSeverity.Info, EventOutcome.Success, null, null, null, EventData.Empty);
        Assert.Equal("{\"id\":\"evt_x\",\"type\":\"system\",\"timestamp\":\"1970-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{}}",
            SecurityEventJson.Serialize(e));
    }

    [Fact]
    public void RoundTrip_IsByteForByteAndEqual()
    {
        var nested = EventData.Of(new("z", EventValue.Null), new("a", EventValue.FromArray(System.Collections.Immutable.ImmutableArray.Create<EventValue>(1, "two", true, 2.5))));
        var original = Sample(EventData.Of(new("action", "x"), new("nested", nested), new("big", long.MaxValue), new("neg", -0.001)));
        var bytes = SecurityEventJson.SerializeToUtf8Bytes(original);
        var back = SecurityEventJson.Deserialize(bytes);
        Assert.Equal(original, back);
        Assert.Equal(bytes, SecurityEventJson.SerializeToUtf8Bytes(back));
    }

    [Fact]
    public void SourceGeneratedContext_ProducesTheCanonicalForm()
    {
        var e = Sample();
        Assert.Equal(SecurityEventJson.Serialize(e), JsonSerializer.Serialize(e, AztpJsonContext.Default.SecurityEvent));
        Assert.Equal(e, JsonSerializer.Deserialize(SecurityEventJson.Serialize(e), AztpJsonContext.Default.SecurityEvent));
    }

    [Fact]
    public void Serialize_KeepsNonAsciiReadable_AndEscapesControlCharacters()
    {
        var json = SecurityEventJson.Serialize(Sample(EventData.Of(new KeyValuePair<string, EventValue>("reason", "zoë's\nline"))));
        Assert.Contains("zoë's\\nline", json, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', json);
    }

    [Fact]
    public void DataKeys_AreOrderedCanonically_RegardlessOfInsertionOrder()
    {
        var a = EventData.Of(new("b", 1), new("success", true), new("a", 2), new("action", "x"));
        var b = new EventData.Builder { ["action"] = "x", ["a"] = 2, ["success"] = true, ["b"] = 1 }.Build();
        Assert.Equal(new[] { "action", "success", "a", "b" }, a.Keys);
        Assert.Equal(a, b);
    }

    [Fact]
    public void EventData_Of_RejectsDuplicateKeys() =>
        Assert.Throws<ArgumentException>(() => EventData.Of(new("a", 1), new("a", 2)));

    public static TheoryData<string, string> MalformedEvents => new()
    {
        { "", "Empty input" },
        { "[]", "Expected a security event object" },
        { "{\"id\":\"e\",\"type\":\"bogus\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{}}", "Unknown event type 'bogus'" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"yesterday\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{}}", "not an ISO 8601 time" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{}}", "needs id, type, timestamp, agentId" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"loud\",\"outcome\":\"success\",\"data\":{}}", "Unknown severity 'loud'" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"maybe\",\"data\":{}}", "Unknown outcome 'maybe'" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{},\"extra\":1}", "Unknown security event field 'extra'" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{\"a\":1,\"a\":2}}", "Duplicate data field 'a'" },
        { "{\"id\":\"e\",\"type\":\"rpc\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"agentId\":\"a\",\"severity\":\"info\",\"outcome\":\"success\",\"data\":{}} x", "" },
    };

    [Theory]
    [MemberData(nameof(MalformedEvents))]
    public void Deserialize_MalformedInput_ThrowsJsonExceptionSayingWhy(string json, string message)
    {
        var ex = Assert.ThrowsAny<JsonException>(() => SecurityEventJson.Deserialize(json));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventValue_RejectsNonFiniteNumbers() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EventValue.FromNumber(double.NaN));

    [Fact]
    public void Create_AssignsSortableUniqueIds()
    {
        var ids = Enumerable.Range(0, 5000).Select(_ => SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success, EventData.Empty).Id).ToList();
        Assert.All(ids, id => Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Constructor_TruncatesTimestampToMillisecondsUtc()
    {
        var e = Sample();
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.Equal(0, e.Timestamp.Ticks % TimeSpan.TicksPerMillisecond);
    }
}

public class EventValueLayoutTests
{
    public static TheoryData<string> Kinds => new() { "null", "string", "true", "false", "integer", "number", "array", "object" };

    private static EventValue Make(string kind) => kind switch
    {
        "null" => default,
        "string" => "abc",
        "true" => true,
        "false" => false,
        "integer" => 1L,
        "number" => 1.5,
        "array" => EventValue.FromStrings(["a"]),
        _ => EventData.Of(new KeyValuePair<string, EventValue>("k", 1)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKind_ReadsBackAndEqualsOnlyItself(string kind)
    {
        var v = Make(kind);
        var expectedKind = kind switch
        {
            "null" => EventValueKind.Null,
            "string" => EventValueKind.String,
            "true" or "false" => EventValueKind.Boolean,
            "integer" => EventValueKind.Integer,
            "number" => EventValueKind.Number,
            "array" => EventValueKind.Array,
            _ => EventValueKind.Object,
        };
        Assert.Equal(expectedKind, v.Kind);
        Assert.Equal(kind == "null", v.IsNull);
        Assert.Equal(kind == "string" ? "abc" : null, v.AsString());
        Assert.Equal(kind switch { "true" => true, "false" => false, _ => (bool?)null }, v.AsBoolean());
        Assert.Equal(kind == "integer" ? 1L : null, v.AsInteger());
        Assert.Equal(kind switch { "integer" => 1.0, "number" => 1.5, _ => (double?)null }, v.AsNumber());
        Assert.Equal(kind == "array" ? 1 : 0, v.AsArray().Length);
        Assert.Equal(kind == "object", v.AsObject() is not null);
        foreach (var other in Kinds)
        {
            Assert.Equal(other == kind, Make(other).Equals(v));
        }
        // Integer 1 and boolean true share their bits but not their kind.
        Assert.NotEqual(EventValue.FromInteger(1), EventValue.FromBoolean(true));
    }

    [Fact]
    public void EventValue_IsTwoWords() => Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<EventValue>());
}
