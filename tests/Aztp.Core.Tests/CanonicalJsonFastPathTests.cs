using System.Buffers;
using System.Collections.Immutable;
using System.Text.Encodings.Web;
using System.Text.Json;
using Aztp.Core;

namespace Aztp.Core.Tests;

/// <summary>
/// The canonical serializer writes common content straight to bytes; these vectors pin that it produces exactly what
/// the token-by-token Utf8JsonWriter path produces, and that everything it does not cover still comes out the same.
/// </summary>
public class CanonicalJsonFastPathTests
{
    private static KeyValuePair<string, EventValue> KV(string key, EventValue value) => new(key, value);

    private static byte[] Reference(SecurityEvent e, JsonWriterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            SecurityEventJson.WriteStructured(writer, e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] ThroughWriter(SecurityEvent e, JsonWriterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            SecurityEventJson.Write(writer, e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static SecurityEvent Event(EventData data, string agentId = "finance", EventActor? actor = null, string? spiffeId = "spiffe://company.org/finance") =>
        new("evt_01JD0000000000000000000000", SecurityEventType.Rpc, new DateTimeOffset(2026, 11, 23, 10, 0, 1, 234, TimeSpan.Zero),
            agentId, spiffeId, EventSeverity.Info, EventOutcome.Success, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
            actor ?? EventActor.Agent("spiffe://company.org/hr", "10.0.0.7"), data);

    private static void AssertSameEverywhere(SecurityEvent e)
    {
        var canonical = Reference(e, SecurityEventJson.WriterOptions);
        Assert.Equal(Convert.ToHexString(canonical), Convert.ToHexString(SecurityEventJson.SerializeToUtf8Bytes(e)));
        Assert.Equal(canonical, ThroughWriter(e, SecurityEventJson.WriterOptions));
        // Writers with other settings get what they would have got token by token.
        foreach (var options in new[]
        {
            new JsonWriterOptions(),
            new JsonWriterOptions { Indented = true },
            new JsonWriterOptions { Encoder = JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.BasicLatin) },
        })
        {
            Assert.Equal(Reference(e, options), ThroughWriter(e, options));
        }
    }

    public static TheoryData<string> Strings => new()
    {
        "", "plain", "with space", "quote\"inside", "back\\slash", "tab\tand\nnewline", "\u0001\u001f\u007f",
        "html <b>&amp;</b> 'single' `tick` a+b", "zoë", "日本語", "emoji \U0001F600", "lone \ud800 surrogate",
        "\u2028\u2029", "/path/to/Service.Method", "spiffe://company.org/ns/default/sa/x", "~!@#$%^*()_=[]{}|;:,.?",
    };

    [Theory]
    [MemberData(nameof(Strings))]
    public void StringsInEveryPosition_MatchTheTokenWriter(string text)
    {
        AssertSameEverywhere(Event(EventData.Of(new("action", text), new(text.Length == 0 ? "k" : text, text))));
        AssertSameEverywhere(Event(EventData.Empty, actor: new EventActor(text.Length == 0 ? "t" : text, text, text)));
        if (text.Length > 0)
        {
            AssertSameEverywhere(Event(EventData.Empty, agentId: text, spiffeId: text));
        }
    }

    public static TheoryData<double> Doubles => new()
    {
        0.0, -0.0, 1.25, -1.25, 0.1 + 0.2, 1e20, 1e21, 1e-7, 123456789012345680000.0, double.MaxValue, double.MinValue,
        double.Epsilon, 5e-324, 1.7976931348623157e308, 0.000001, 1.0 / 3, 100, 4.35, 2.5e-5, -9007199254740993.0,
    };

    [Theory]
    [MemberData(nameof(Doubles))]
    public void Numbers_MatchTheTokenWriter(double value) =>
        AssertSameEverywhere(Event(EventData.Of(new("n", value), new("i", (long)Math.Clamp(value, long.MinValue, long.MaxValue)))));

    [Fact]
    public void RandomNumbersAndIntegers_MatchTheTokenWriter()
    {
        var random = new Random(20261123);
        Span<byte> bits = stackalloc byte[8];
        for (var i = 0; i < 5000; i++)
        {
            random.NextBytes(bits);
            var d = BitConverter.ToDouble(bits);
            if (!double.IsFinite(d))
            {
                continue;
            }
            var scaled = random.NextDouble() * Math.Pow(10, random.Next(-12, 12));
            AssertSameEverywhere(Event(EventData.Of(new("d", d), new("s", scaled), new("l", BitConverter.ToInt64(bits)))));
        }
        AssertSameEverywhere(Event(EventData.Of(new("min", long.MinValue), new("max", long.MaxValue), new("zero", 0L))));
    }

    [Fact]
    public void NestedArraysAndObjects_MatchTheTokenWriter()
    {
        var inner = EventData.Of(new("z", EventValue.Null), new("a", ImmutableArray.Create<EventValue>(1, "two", true, false, 2.5, EventValue.Null)));
        AssertSameEverywhere(Event(EventData.Of(new("action", "x"), new("success", true), new("nested", inner),
            new("empty", EventData.Empty), new("list", ImmutableArray<EventValue>.Empty))));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(200)]
    public void DeepNesting_MatchesTheTokenWriter(int depth)
    {
        var data = EventData.Of(KV("leaf", 1));
        for (var i = 0; i < depth; i++)
        {
            data = i % 2 == 0
                ? EventData.Of(KV("o", data))
                : EventData.Of(KV("a", ImmutableArray.Create<EventValue>(data)));
        }
        AssertSameEverywhere(Event(data));
    }

    [Fact]
    public void LargeEvents_BeyondTheFirstBuffer_MatchTheTokenWriter()
    {
        AssertSameEverywhere(Event(EventData.Of(KV("big", new string('x', 5000)))));
        AssertSameEverywhere(Event(EventData.Of(KV("huge", new string('y', 3 << 20)))));
        var many = new EventData.Builder();
        for (var i = 0; i < 2000; i++)
        {
            many["k" + i] = i * 1.5;
        }
        AssertSameEverywhere(Event(many.Build()));
    }

    [Fact]
    public void WriteInsideAnArray_ProducesValidJsonWithEachEventCanonical()
    {
        var events = new[] { Event(EventData.Of(KV("a", 1))), Event(EventData.Of(KV("b", "zoë"))) };
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, SecurityEventJson.WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var e in events)
            {
                SecurityEventJson.Write(writer, e);
            }
            writer.WriteEndArray();
        }
        var expected = "[" + string.Join(",", events.Select(SecurityEventJson.Serialize)) + "]";
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public void AppendingToABuffer_KeepsWhatWasAlreadyThere()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix:"u8);
        var e = Event(EventData.Of(KV("a", 1)));
        SecurityEventJson.Write(buffer, e);
        Assert.Equal("prefix:" + SecurityEventJson.Serialize(e), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void FactoryEvents_MatchTheTokenWriter()
    {
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        AssertSameEverywhere(f.PolicyEvaluated(true, "spiffe://company.org/hr", "calculate-tax", "hr may compute taxes", ["hr-tax"]));
        AssertSameEverywhere(f.PolicyEvaluated(false, "spiffe://company.org/hr", "calculate-tax", "no policy permits", [], ["e1"], "res", "10.0.0.1"));
        AssertSameEverywhere(f.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.7"));
        AssertSameEverywhere(f.RpcResponseSent("calculate-tax", null, "10.0.0.7", 1.25));
    }
}
