using Aztp.Core;

namespace Aztp.Core.Tests;

/// <summary>An event keeps its id's position or its text in one field; the text replaces the position on first read.</summary>
public class SecurityEventIdTests
{
    private static readonly SecurityEventFactory F = new("finance", "spiffe://company.org/finance");

    [Fact]
    public void Id_ReadFirstByManyThreadsAtOnce_IsOneTextForAll_AndCopiesBeforeAndAfterAgree()
    {
        for (var round = 0; round < 200; round++)
        {
            var e = F.RpcRequestSent("echo", "https://peer");
            var before = e.WithData(e.Data);
            var ids = new string[4];
            using var start = new Barrier(ids.Length);
            Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = ids.Length }, i =>
            {
                start.SignalAndWait();
                ids[i] = e.Id;
            });
            Assert.All(ids, id => Assert.Equal(ids[0], id));
            Assert.Matches("^evt_[0-9A-HJKMNP-TV-Z]{26}$", ids[0]);
            Assert.Equal(ids[0], before.Id);
            Assert.Equal(ids[0], e.WithTrace(EventTrace.NewTrace()).Id);
            Assert.Equal(ids[0], e.Id);
        }
    }

    [Fact]
    public void Event_Takes80Bytes()
    {
        var e = F.RpcRequestSent("echo", "https://peer");
        var copies = new SecurityEvent[1000];
        copies[0] = e.WithData(e.Data);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = e.WithData(e.Data);
        }
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / copies.Length;
        Assert.True(perEvent <= 80, $"{perEvent} B per event");
        Assert.Equal(e.Id, copies[^1].Id);
    }
}
