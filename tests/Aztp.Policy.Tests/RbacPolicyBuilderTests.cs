namespace Aztp.Policy.Tests;

public sealed class RbacPolicyBuilderTests
{
    private const string Client = "spiffe://company.org/agent/client";
    private const string Finance = "spiffe://company.org/agent/finance";

    [Fact]
    public void Builder_WritesOrdinaryCedar_ThatAuthorizesAsDescribed()
    {
        var rbac = new RbacPolicyBuilder();
        rbac.Allow(Client).ToCall("calculate-tax").On(Finance).WithId("client-tax").WithReason("clients may calculate tax");
        rbac.AllowGroup("auditors").ToCall("get-report", "list-reports");
        rbac.AllowAnyone().ToCall("health").When("context.trustDomain == \"company.org\"");
        rbac.Deny("spiffe://company.org/agent/retired");

        var cedar = rbac.ToCedar();
        Assert.Contains("principal == Agent::\"spiffe://company.org/agent/client\"", cedar, StringComparison.Ordinal);
        Assert.Contains("action in [Action::\"get-report\", Action::\"list-reports\"]", cedar, StringComparison.Ordinal);

        var set = rbac.Build();
        Assert.Equal(4, set.Count);
        var entities = EntityStore.FromJson("""
            [{"uid": {"type": "Agent", "id": "spiffe://company.org/agent/auditor"}, "attrs": {}, "parents": [{"type": "Group", "id": "auditors"}]}]
            """);
        var ctx = CedarContext.FromValues(new Dictionary<string, object?> { ["trustDomain"] = "company.org" });
        AuthorizationResponse Ask(string caller, string method) =>
            CedarAuthorizer.Authorize(set, entities, AuthorizationRequest.ForAgentCall(caller, method, Finance, ctx));

        var tax = Ask(Client, "calculate-tax");
        Assert.True(tax.IsAllowed);
        Assert.Equal("clients may calculate tax", tax.Explain());
        Assert.Equal(["client-tax"], tax.PolicyNames);
        Assert.False(Ask(Client, "get-report").IsAllowed);
        Assert.True(Ask("spiffe://company.org/agent/auditor", "list-reports").IsAllowed);
        Assert.True(Ask("spiffe://other/agent", "health").IsAllowed);
        Assert.False(Ask("spiffe://company.org/agent/retired", "health").IsAllowed);
    }

    [Fact]
    public void Builder_InvalidCondition_IsAParseError()
    {
        var rbac = new RbacPolicyBuilder();
        rbac.AllowAnyone().When("context.amount <");
        Assert.Throws<PolicyParseException>(() => rbac.Build());
        Assert.Throws<ArgumentException>(() => new RbacPolicyBuilder().Allow(string.Empty));
    }
}
