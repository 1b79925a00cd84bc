using System.Diagnostics;
using Trace = Aztp.Rpc.Internal.Trace;

namespace Aztp.Rpc.Tests;

public sealed class TraceTests
{
    public static TheoryData<string?> TraceParents => new()
    {
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
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
    public void StartServer_ContinuesExactlyTheTracesTheW3CParserAccepts(string? traceparent)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            using var activity = Trace.StartServer(traceparent);
            Assert.Same(activity, Activity.Current);
            Assert.Equal(ActivityIdFormat.W3C, activity.IdFormat);
            if (traceparent is not null && ActivityContext.TryParse(traceparent, null, out var parent))
            {
                Assert.Equal(parent.TraceId, activity.TraceId);
                Assert.Equal(parent.SpanId, activity.ParentSpanId);
                Assert.Equal(parent.TraceFlags, activity.ActivityTraceFlags);
            }
            else
            {
                // A new trace: not taken from the malformed header.
                Assert.Equal(default, activity.ParentSpanId);
                Assert.DoesNotContain(activity.TraceId.ToHexString(), traceparent ?? string.Empty, StringComparison.Ordinal);
            }
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", false)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false)]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g", false)]
    public void IsPlainVersion00_AcceptsOnlyTheStrictForm(string value, bool expected) =>
        Assert.Equal(expected, Trace.IsPlainVersion00(value));
}
