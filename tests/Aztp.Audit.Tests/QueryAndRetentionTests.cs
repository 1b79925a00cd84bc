using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

public sealed class QueryAndRetentionTests
{
    public const string Trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>10 events 10 days old then 10 current ones; a checkpoint every 5 events (seq 6, 12, 18, 24).</summary>
    public static List<SecurityEvent> Events { get; } = BuildEvents();

    private static List<SecurityEvent> BuildEvents()
    {
        var list = new List<SecurityEvent>();
        for (var i = 0; i < 20; i++)
        {
            var old = i < 10;
            var type = i % 3 == 0 ? SecurityEventType.Rpc : SecurityEventType.Policy;
            var outcome = i % 2 == 0 ? EventOutcome.Denied : EventOutcome.Success;
            var agent = i % 5 == 0 ? "billing" : "finance";
            var trace = i is 12 or 15 or 17 ? Trace : null;
            list.Add(new SecurityEvent($"evt_{i:D26}", type, (old ? Now.AddDays(-10) : Now).AddSeconds(i), agent, null,
                outcome == EventOutcome.Success ? EventSeverity.Info : EventSeverity.Warning, outcome, trace, trace is null ? null : "00f067aa0ba902b7",
                EventActor.Agent("spiffe://company.org/caller" + (i % 4)),
                EventData.Of(new KeyValuePair<string, EventValue>("action", "evaluated"), new KeyValuePair<string, EventValue>("success", outcome == EventOutcome.Success))));
        }
        return list;
    }

    public static TheoryData<string> Queries => new() { "all", "policy-denied", "denied", "success", "since", "agent", "actor", "trace", "last3", "after" };

    public static AuditQuery QueryFor(string name) => name switch
    {
        "all" => new AuditQuery(),
        "policy-denied" => new AuditQuery { Type = SecurityEventType.Policy, Outcome = EventOutcome.Denied },
        "denied" => new AuditQuery { Outcome = EventOutcome.Denied },
        "success" => new AuditQuery { Outcome = EventOutcome.Success },
        "since" => new AuditQuery { Since = Now.AddDays(-1) },
        "agent" => new AuditQuery { Agent = "billing" },
        "actor" => new AuditQuery { Agent = "spiffe://company.org/caller1" },
        "trace" => new AuditQuery { TraceId = Trace.ToUpperInvariant() },
        "last3" => new AuditQuery { Type = SecurityEventType.Policy, Last = 3 },
        "after" => new AuditQuery { AfterSeq = 20 },
        _ => throw new ArgumentException(name),
    };

    internal static async Task WriteAgedAsync(TestStore store, TestPki pki)
    {
        using var signer = pki.Signer();
        var sink = await store.OpenSinkAsync(o =>
        {
            o.Signer = signer;
            o.CheckpointEvery = 5;
            o.CheckpointInterval = Timeout.InfiniteTimeSpan;
        });
        await using (sink)
        {
            await sink.HandleBatchAsync(Events, CancellationToken.None);
        }
    }

    internal static async Task AssertQueriesAsync(IAuditReader reader)
    {
        foreach (var name in Queries)
        {
            await AssertQueryAsync(reader, name);
        }
    }

    private static async Task AssertQueryAsync(IAuditReader reader, string name)
    {
        var query = QueryFor(name);
        var seqs = Enumerable.Range(0, 20).Select(i => (Seq: (long)(i + 1 + i / 5), Event: Events[i])).ToList();
        var expected = seqs.Where(x => query.Matches(x.Event) && (query.AfterSeq is null || x.Seq > query.AfterSeq)).Select(x => x.Event.Id).ToList();
        if (query.Last is { } last)
        {
            expected = expected.TakeLast(last).ToList();
        }
        var actual = new List<string>();
        await foreach (var entry in reader.QueryAsync(query))
        {
            actual.Add(entry.Event.Id);
        }
        Assert.True(expected.Count > 0, name);
        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(",", expected)}] got [{string.Join(",", actual)}]");
    }

    internal static async Task AssertRetentionAsync(IAuditReader reader, TestPki pki)
    {
        var result = await ((IAuditRetention)reader).PruneAsync(Now.AddDays(-5));

        Assert.Equal(11, result.Deleted);
        Assert.Equal(12, result.StartsAtSeq);
        var verify = await AuditVerifier.VerifyAsync(reader, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(verify.IsIntact, verify.Break?.Message);
        Assert.Equal(12, verify.FirstSeq);
        Assert.Equal(10, verify.Events);
        var again = await ((IAuditRetention)reader).PruneAsync(Now.AddDays(-5));
        Assert.Equal(0, again.Deleted);
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Query_Jsonl_MatchesTheFilterSemantics(string name)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.Jsonl, dir);
        await WriteAgedAsync(store, pki);
        await using var reader = await AuditStore.OpenReaderAsync(store.Location);
        await AssertQueryAsync(reader, name);
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Query_Sqlite_MatchesTheFilterSemantics(string name)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.Sqlite, dir);
        await WriteAgedAsync(store, pki);
        await using var reader = await AuditStore.OpenReaderAsync(store.Location);
        await AssertQueryAsync(reader, name);
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Query_SqliteTextLayout_MatchesTheFilterSemantics(string name)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.SqliteTextLayout, dir);
        await WriteAgedAsync(store, pki);
        await using var reader = await AuditStore.OpenReaderAsync(store.Location);
        await AssertQueryAsync(reader, name);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.SqliteTextLayout)]
    [InlineData(StoreKind.SqliteIdIntegerLayout)]
    public async Task Retention_Sqlite_DeletesUpToACheckpoint_AndTheRestStillVerifies(StoreKind kind)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(kind, dir);
        await WriteAgedAsync(store, pki);
        await using var reader = await AuditStore.OpenReaderAsync(store.Location);
        await AssertRetentionAsync(reader, pki);
    }

    [Fact]
    public async Task Retention_DeletingPastTheCheckpoint_IsDetected()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (SqliteStore)TestStore.Create(StoreKind.Sqlite, dir);
        await WriteAgedAsync(store, pki);
        await store.ExecAsync("DELETE FROM aztp_audit WHERE seq <= @s", 12);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Deleted, result.Break!.Kind);
    }

    [Fact]
    public async Task OpenReader_MissingStores_AreStoreExceptions()
    {
        await Assert.ThrowsAsync<AuditStoreException>(() => AuditStore.OpenReaderAsync("/nonexistent/audit.jsonl"));
        await Assert.ThrowsAsync<AuditStoreException>(() => AuditStore.OpenReaderAsync("sqlite:/nonexistent/audit.db"));
        await Assert.ThrowsAsync<ArgumentException>(() => AuditStore.OpenReaderAsync("sqlite:"));
    }
}
