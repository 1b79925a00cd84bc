using System.Diagnostics;

namespace Aztp.Core.Tests;

public sealed class EventTraceTests
{
    public static TheoryData<string?> TraceParents => new()
    {
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-f0000000000000000000000000000001-0000000000000001-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
        "00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01",
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
        "",
        "garbage",
        null,
    };

    [Theory]
    [MemberData(nameof(TraceParents))]
    public void ContinueOrStart_ContinuesExactlyTheTracesTheW3CParserAccepts_WithANewSpan(string? traceparent)
    {
        var trace = EventTrace.ContinueOrStart(traceparent);

        Assert.Matches("^[0-9a-f]{32}$", trace.TraceId);
        Assert.Matches("^[0-9a-f]{16}$", trace.SpanId);
        Assert.NotEqual(new string('0', 32), trace.TraceId);
        Assert.NotEqual(new string('0', 16), trace.SpanId);
        if (traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent))
        {
            Assert.Equal(parent.TraceId.ToHexString(), trace.TraceId);
            Assert.NotEqual(parent.SpanId.ToHexString(), trace.SpanId);
        }
        else
        {
            // A new trace: not taken from the malformed header.
            Assert.DoesNotContain(trace.TraceId, traceparent ?? string.Empty, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", false)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false)]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0F", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319C-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff", true)]
    [InlineData("00-00000000000000000000000000000001-0000000000000001-00", true)]
    [InlineData("00-10000000000000000000000000000000-1000000000000000-01", true)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", false)]
    public void IsPlainVersion00_AcceptsOnlyTheStrictForm(string value, bool expected) =>
        Assert.Equal(expected, EventTrace.IsPlainVersion00(value));

    [Fact]
    public void ToTraceparent_IsAStrictSampledHeaderThatContinuesThisSpan()
    {
        var trace = EventTrace.NewTrace();

        var header = trace.ToTraceparent();

        Assert.Equal($"00-{trace.TraceId}-{trace.SpanId}-01", header);
        Assert.True(EventTrace.IsPlainVersion00(header));
        Assert.True(ActivityContext.TryParse(header, null, out var parsed));
        Assert.Equal(trace.TraceId, parsed.TraceId.ToHexString());
        Assert.Equal(trace.SpanId, parsed.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, parsed.TraceFlags);
    }

    [Theory]
    [InlineData("0af7651916cd43dd8448eb211c80319c")]
    [InlineData("00000000000000000000000000000001")]
    [InlineData("000000000000000f0000000000000000")]
    [InlineData("f0000000000000000000000000000000")]
    [InlineData("ffffffffffffffffffffffffffffffff")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    public void TraceId_IsTheSameText_WhetherFormattedFromTheNumbersOrKeptFromTheHeader(string traceId)
    {
        var formatted = EventTrace.ChildOf(ActivityTraceId.CreateFromString(traceId));
        var kept = EventTrace.ContinueOrStart($"00-{traceId}-00f067aa0ba902b7-01");
        var keptChild = kept.NewChild();

        foreach (var trace in new[] { formatted, kept, keptChild })
        {
            Assert.Equal(traceId, trace.TraceId);
            Assert.Matches("^[0-9a-f]{16}$", trace.SpanId);
            Assert.Equal($"00-{traceId}-{trace.SpanId}-01", trace.ToTraceparent());
        }
        // The header's span id is the parent's, never reused as this position's span.
        Assert.NotEqual("00f067aa0ba902b7", kept.SpanId);
        // A trace whose text has not been read yet formats the same header from its numbers.
        Assert.Equal($"00-{traceId}-", EventTrace.ChildOf(ActivityTraceId.CreateFromString(traceId)).ToTraceparent()[..36]);
    }

    [Theory]
    [InlineData("0af7651916cd43dd8448eb211c80319c")]
    [InlineData("00000000000000000000000000000001")]
    [InlineData("ffffffffffffffffffffffffffffffff")]
    public void ContinuedTrace_WritesTheHeadersTraceId_BeforeItsTextIsEverRead(string traceId)
    {
        // The trace id text of a continued trace is cut from the header only when read; a header written before that
        // (for an outgoing call) still carries the caller's trace id, and so does a child's.
        var kept = EventTrace.ContinueOrStart($"00-{traceId}-00f067aa0ba902b7-01");
        var child = kept.NewChild();

        Assert.StartsWith($"00-{traceId}-", child.ToTraceparent(), StringComparison.Ordinal);
        Assert.StartsWith($"00-{traceId}-", kept.ToTraceparent(), StringComparison.Ordinal);
        Assert.Equal(traceId, child.TraceId);
        Assert.Equal(traceId, kept.TraceId);
        Assert.Same(kept.TraceId, kept.TraceId);
    }

    [Fact]
    public void NewChild_KeepsTheTraceWithANewSpan_AndChildOfTakesAnActivityTrace()
    {
        var parent = EventTrace.NewTrace();
        var child = parent.NewChild();
        Assert.Equal(parent.TraceId, child.TraceId);
        Assert.NotEqual(parent.SpanId, child.SpanId);

        var activityTrace = ActivityTraceId.CreateRandom();
        var fromActivity = EventTrace.ChildOf(activityTrace);
        Assert.Equal(activityTrace.ToHexString(), fromActivity.TraceId);

        Assert.NotEqual(EventTrace.NewTrace().TraceId, EventTrace.NewTrace().TraceId);
        Assert.NotEqual(new string('0', 32), EventTrace.ChildOf(default).TraceId);
    }

    [Fact]
    public async Task Events_TakeTheCurrentEventTrace_BeforeActivityCurrent()
    {
        var previousActivity = Activity.Current;
        Activity.Current = null;
        try
        {
            using var activity = new Activity("outer").SetIdFormat(ActivityIdFormat.W3C).Start();
            var trace = EventTrace.ContinueOrStart("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            EventTrace.Current = trace;
            try
            {
                var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
                var e = factory.RpcRequestReceived("calculate-tax", "spiffe://company.org/caller", "127.0.0.1");
                Assert.Equal("0af7651916cd43dd8448eb211c80319c", e.TraceId);
                Assert.Equal(trace.SpanId, e.SpanId);
                Assert.Contains("\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"" + trace.SpanId + "\"",
                    SecurityEventJson.Serialize(e), StringComparison.Ordinal);

                // The position flows into awaited work, as the handler of a call sees it.
                var inner = await Task.Run(() => SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success, EventData.Empty));
                Assert.Equal(trace.TraceId, inner.TraceId);
                Assert.Equal(trace.SpanId, inner.SpanId);
            }
            finally
            {
                EventTrace.Current = null;
            }
            var after = SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success, EventData.Empty);
            Assert.Equal(activity.TraceId.ToHexString(), after.TraceId);
        }
        finally
        {
            Activity.Current = previousActivity;
        }
    }

    [Fact]
    public async Task Current_SetInsideAnAsyncMethod_IsNotSeenByItsCallerAfterward()
    {
        EventTrace.Current = null;
        string? inside = null;

        async Task CallAsync()
        {
            EventTrace.Current = EventTrace.NewTrace();
            await Task.Yield();
            inside = EventTrace.Current?.TraceId;
        }

        await CallAsync();

        Assert.NotNull(inside);
        Assert.Null(EventTrace.Current);
    }

    [Fact]
    public void ExplicitTraceOverloads_MakeTheSameEventAsWithTrace()
    {
        var factory = new SecurityEventFactory("caller", "spiffe://company.org/caller");
        var trace = EventTrace.NewTrace();

        var sent = factory.RpcRequestSent("/svc/M", "127.0.0.1:1", trace);
        var received = factory.RpcResponseReceived("/svc/M", "127.0.0.1:1", 1.5, trace);
        var failed = factory.RpcFailed("/svc/M", "127.0.0.1:1", 14, "Unavailable", 2, "client").WithTrace(trace);

        foreach (var e in new[] { sent, received, failed })
        {
            Assert.Equal(trace.TraceId, e.TraceId);
            Assert.Equal(trace.SpanId, e.SpanId);
        }
        var byStrings = factory.RpcRequestSent("/svc/M", "127.0.0.1:1", trace.TraceId, trace.SpanId);
        var traceFields = $"\"traceId\":\"{trace.TraceId}\",\"spanId\":\"{trace.SpanId}\",";
        Assert.Contains(traceFields, SecurityEventJson.Serialize(byStrings), StringComparison.Ordinal);
        Assert.Contains(traceFields, SecurityEventJson.Serialize(sent), StringComparison.Ordinal);
        Assert.Equal(byStrings.Data, sent.Data);

        // A copy with other data keeps the trace position; WithTrace(null) leaves the event without one.
        Assert.Equal(trace.TraceId, sent.WithData(EventData.Empty).TraceId);
        Assert.Null(sent.WithTrace((EventTrace?)null).TraceId);
        Assert.Null(sent.WithTrace((EventTrace?)null).SpanId);
    }
}
