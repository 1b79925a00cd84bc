using Aztp.Core;

namespace Aztp.Policy.Tests;

public sealed class PolicyStoreTests : IDisposable
{
    private const string Client = "spiffe://company.org/agent/client";
    private const string Finance = "spiffe://company.org/agent/finance";

    private readonly string _dir = Directory.CreateTempSubdirectory("aztp-policy-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AuthorizationRequest Call(string method = "calculate-tax", string caller = Client) =>
        AuthorizationRequest.ForAgentCall(caller, method, Finance, CedarContext.FromValues(new Dictionary<string, object?> { ["trustDomain"] = "company.org" }));

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_dir, name), content);

    private const string Entities = """
        [{"uid": {"type": "Agent", "id": "spiffe://company.org/agent/client"}, "attrs": {}, "parents": [{"type": "Group", "id": "tax-clients"}]}]
        """;

    [Fact]
    public async Task FromText_AuthorizeAsync_EmitsEvaluatedEventWithIdAndReason()
    {
        await using var rec = new EventRecorder();
        await using var store = PolicyStore.FromText(
            "@id(\"tax-clients\") @reason(\"tax clients may calculate tax\")\npermit(principal in Group::\"tax-clients\", action == Action::\"calculate-tax\", resource);",
            Entities, rec.Monitor);

        var response = await store.AuthorizeAsync(Call());
        Assert.True(response.IsAllowed);
        var e = await rec.NextAsync(EventActions.Evaluated);
        Assert.Equal(SecurityEventType.Policy, e.Type);
        Assert.True(e.Data["allowed"].AsBoolean());
        Assert.Equal(Client, e.Data["principal"].AsString());
        Assert.Equal("calculate-tax", e.Data["method"].AsString());
        Assert.Equal("tax clients may calculate tax", e.Data["reason"].AsString());
        Assert.Equal(["tax-clients"], e.Data["policyIds"].AsArray().Select(v => v.AsString()));

        Assert.False((await store.AuthorizeAsync(Call("delete-everything"))).IsAllowed);
        var denied = await rec.NextAsync(EventActions.Evaluated);
        Assert.Equal(EventOutcome.Denied, denied.Outcome);
        Assert.Equal("no policy permits the request (default deny)", denied.Data["reason"].AsString());
    }

    [Fact]
    public async Task OpenAsync_LoadsDirectoryAndEntities_AndEmitsLoadedWithHash()
    {
        Write("allow.cedar", "permit(principal in Group::\"tax-clients\", action == Action::\"calculate-tax\", resource);");
        Write("entities.json", Entities);
        await using var rec = new EventRecorder();
        await using var store = await PolicyStore.OpenAsync(new PolicyStoreOptions { PolicyDir = _dir, WatchForChanges = false }, rec.Monitor);

        var loaded = await rec.NextAsync(EventActions.Loaded);
        Assert.Equal(store.Current.ContentHash, loaded.Data["contentHash"].AsString());
        Assert.StartsWith("sha256:", store.Current.ContentHash, StringComparison.Ordinal);
        Assert.Equal(1L, loaded.Data["policyCount"].AsInteger());
        Assert.True(store.Authorize(Call()).IsAllowed);
    }

    [Fact]
    public async Task OpenAsync_InvalidFirstSet_Throws()
    {
        Write("bad.cedar", "permit(principal, action, resource) when { 1 < };");
        var ex = await Assert.ThrowsAsync<PolicyParseException>(() => PolicyStore.OpenAsync(new PolicyStoreOptions { PolicyDir = _dir, WatchForChanges = false }));
        Assert.EndsWith("bad.cedar", ex.FileName, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PolicyStoreOptions { PolicyDir = Path.Combine(_dir, "missing") }.Validate());
    }

    [Fact]
    public async Task ReloadAsync_BadSet_KeepsLastGoodAndReportsPosition()
    {
        Write("allow.cedar", "permit(principal, action == Action::\"calculate-tax\", resource);");
        await using var rec = new EventRecorder();
        await using var store = await PolicyStore.OpenAsync(new PolicyStoreOptions { PolicyDir = _dir, WatchForChanges = false }, rec.Monitor);
        var goodHash = store.Current.ContentHash;

        Assert.Equal(PolicyReloadResult.Unchanged, await store.ReloadAsync());

        Write("allow.cedar", "permit(principal, action == Action::\"calculate-tax\", resource)\n  when { context.trustDomain == };");
        Assert.Equal(PolicyReloadResult.Failed, await store.ReloadAsync());
        var failed = await rec.NextAsync(EventActions.ReloadFailed);
        Assert.Equal(2L, failed.Data["line"].AsInteger());
        Assert.Equal(33L, failed.Data["column"].AsInteger());
        Assert.EndsWith("allow.cedar", failed.Data["file"].AsString(), StringComparison.Ordinal);
        Assert.Equal(goodHash, store.Current.ContentHash);
        Assert.True(store.Authorize(Call()).IsAllowed);

        Write("entities.json", "[{\"uid\": 1}]");
        Write("allow.cedar", "forbid(principal, action, resource);");
        Assert.Equal(PolicyReloadResult.Failed, await store.ReloadAsync());
        Assert.True(store.Authorize(Call()).IsAllowed);

        File.Delete(Path.Combine(_dir, "entities.json"));
        Assert.Equal(PolicyReloadResult.Loaded, await store.ReloadAsync());
        Assert.False(store.Authorize(Call()).IsAllowed);
    }

    [Fact]
    public async Task Watcher_FileChanges_ReloadGoodSetsAndRejectBadOnes()
    {
        Write("allow.cedar", "permit(principal, action == Action::\"calculate-tax\", resource);");
        await using var rec = new EventRecorder();
        await using var store = await PolicyStore.OpenAsync(new PolicyStoreOptions { PolicyDir = _dir, ReloadDebounce = TimeSpan.FromMilliseconds(50) }, rec.Monitor);
        await rec.NextAsync(EventActions.Loaded);
        Assert.False(store.Authorize(Call("get-rates")).IsAllowed);

        Write("rates.cedar", "@id(\"rates\") permit(principal, action == Action::\"get-rates\", resource);");
        var loaded = await rec.NextAsync(EventActions.Loaded);
        Assert.Equal(2L, loaded.Data["policyCount"].AsInteger());
        Assert.True(store.Authorize(Call("get-rates")).IsAllowed);

        Write("rates.cedar", "@id(\"rates\") permit(principal, action == Action::\"get-rates\", resource");
        var failed = await rec.NextAsync(EventActions.ReloadFailed);
        Assert.Equal(1L, failed.Data["line"].AsInteger());
        Assert.True(store.Authorize(Call("get-rates")).IsAllowed);
        Assert.True(store.Authorize(Call()).IsAllowed);
    }

    [Fact]
    public async Task Polling_FindsChanges_AndReportsABadSetOnce()
    {
        Write("allow.cedar", "permit(principal, action == Action::\"calculate-tax\", resource);");
        await using var rec = new EventRecorder();
        var options = new PolicyStoreOptions { PolicyDir = _dir, UsePolling = true, PollInterval = TimeSpan.FromMilliseconds(20), ReloadDebounce = TimeSpan.FromMilliseconds(50) };
        await using var store = await PolicyStore.OpenAsync(options, rec.Monitor);
        await rec.NextAsync(EventActions.Loaded);

        Write("rates.cedar", "permit(principal, action == Action::\"get-rates\", resource);");
        await rec.NextAsync(EventActions.Loaded);
        Assert.True(store.Authorize(Call("get-rates")).IsAllowed);

        Write("rates.cedar", "permit(principal, action == Action::\"get-rates\", resource");
        await rec.NextAsync(EventActions.ReloadFailed);
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // about 25 polls of the same bad set
        Write("rates.cedar", "permit(principal, action == Action::\"get-rates\", resource) when { context.trustDomain == \"company.org\" };");
        var between = await rec.UntilAsync(EventActions.Loaded);
        Assert.DoesNotContain(between, e => e.Data.Action == EventActions.ReloadFailed);
        Assert.True(store.Authorize(Call("get-rates")).IsAllowed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(3_600_001)]
    public void PollInterval_OutOfRange_IsRejected(int milliseconds)
    {
        var options = new PolicyStoreOptions { PolicyDir = _dir, PollInterval = TimeSpan.FromMilliseconds(milliseconds) };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal("PollInterval", ex.ParamName);
    }
}
