using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

/// <summary>
/// The shared tampering scenario: 20 events with a checkpoint every 6 events, so the chain is
/// events 1-6, checkpoint 7, events 8-13, checkpoint 14, events 15-20, checkpoint 21, events 22-23, final checkpoint 24.
/// </summary>
internal static class Scenarios
{
    public const int EventCount = 20;

    public static async Task<List<SecurityEvent>> WriteAsync(TestStore store, TestPki pki)
    {
        var events = TestEvents.Many(EventCount);
        using var signer = pki.Signer();
        var sink = await store.OpenSinkAsync(o =>
        {
            o.Signer = signer;
            o.CheckpointEvery = 6;
            o.CheckpointInterval = Timeout.InfiniteTimeSpan;
            o.MaxBatchSize = 7;
        });
        await using (sink)
        {
            foreach (var chunk in events.Chunk(7))
            {
                await sink.HandleBatchAsync(chunk, CancellationToken.None);
            }
        }
        return events;
    }

    public static TheoryData<string, AuditBreakKind?, long> Tampering => new()
    {
        { "none", null, 0 },
        { "edit 9", AuditBreakKind.Edited, 9 },
        { "edit 1", AuditBreakKind.Edited, 1 },
        { "delete 9", AuditBreakKind.Deleted, 9 },
        { "delete 1", AuditBreakKind.Deleted, 1 },
        { "duplicate 9", AuditBreakKind.Inserted, 9 },
        { "swap 9", AuditBreakKind.Reordered, 10 },
        { "swap 13", AuditBreakKind.Reordered, 14 },
        { "truncate 17", AuditBreakKind.Truncated, 15 },
        { "truncate 22", AuditBreakKind.Truncated, 22 },
    };

    public static async Task ApplyAsync(TestStore store, string tamper)
    {
        var parts = tamper.Split(' ');
        if (parts[0] == "none")
        {
            return;
        }
        var seq = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        switch (parts[0])
        {
            case "edit": await store.EditAsync(seq); break;
            case "delete": await store.DeleteAsync(seq); break;
            case "duplicate": await store.DuplicateAsync(seq); break;
            case "swap": await store.SwapAsync(seq); break;
            case "truncate": await store.TruncateAfterAsync(seq); break;
            default: throw new ArgumentException(tamper);
        }
    }

    public static async Task AssertVerifyAsync(TestStore store, TestPki pki, string tamper, AuditBreakKind? kind, long seq)
    {
        await ApplyAsync(store, tamper);
        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        if (kind is null)
        {
            Assert.True(result.IsIntact, result.Break?.Message);
            Assert.Equal(EventCount, result.Events);
            Assert.Equal(4, result.Checkpoints);
            Assert.Equal(24, result.LastSeq);
            Assert.True(result.TrustChecked);
            Assert.Equal(["spiffe://company.org/finance"], result.Signers);
        }
        else
        {
            Assert.False(result.IsIntact);
            Assert.Equal(kind, result.Break!.Kind);
            Assert.Equal(seq, result.Break.Seq);
            Assert.False(string.IsNullOrWhiteSpace(result.Break.Message));
        }
    }
}
