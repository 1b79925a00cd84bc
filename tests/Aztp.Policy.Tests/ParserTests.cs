namespace Aztp.Policy.Tests;

public sealed class ParserTests
{
    public static TheoryData<string, int, int, string> ParseErrors => new()
    {
        { "permit(principal, action, resource)\n  when { 1 < };", 2, 14, "expected an expression" },
        { "permit(principal, action, resource);\nforbid(principal, action, resource", 2, 35, "unexpected end of input" },
        { "permit(principal, action == User::\"x\", resource);", 1, 29, "type `Action`" },
        { "permit(principal, action, resource) when { 1 < 2 < 3 };", 1, 44, "multiple relational operators" },
        { "permit(principal, action, resource) when { !!!!!true };", 1, 44, "too many occurrences of `!`" },
        { "permit(principal, action, resource) when { 9223372036854775808 > 0 };", 1, 44, "too large" },
        { "permit(principal, action, resource) when { ip(\"1.1.1.1\").foo() };", 1, 58, "not a valid method" },
        { "permit(principal, action, resource) when { foo(\"x\") };", 1, 44, "not a valid function" },
        { "permit(principal, action, resource) when { {a: 1, a: 2} has a };", 1, 44, "duplicate key" },
        { "@id(\"a\")\n@id(\"b\") permit(principal, action, resource);", 2, 1, "duplicate annotation" },
        { "permit(principal, action, resource) when { \"\\q\" };", 1, 45, "not a valid escape" },
        { "permit(principal, action, resource) when { principal.if };", 1, 54, "reserved" },
        { "permit(principal, action, resource) when {};", 1, 37, "cannot be empty" },
        { "permit(principal in [Group::\"a\"], action, resource);", 1, 21, "set of entity uids" },
        { "permit(principal == ?principal, action, resource);", 1, 21, "template" },
        { "deny(principal, action, resource);", 1, 1, "`permit`" },
        { "permit(principal, action, resource) when { \"unterminated };", 1, 44, "unterminated" },
    };

    [Theory]
    [MemberData(nameof(ParseErrors))]
    public void Parse_InvalidText_ThrowsWithLineAndColumn(string text, int line, int column, string fragment)
    {
        var ex = Assert.Throws<PolicyParseException>(() => PolicySet.Parse(text));
        Assert.Contains(fragment, ex.Detail, StringComparison.Ordinal);
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.StartsWith($"{line}:{column}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FileSource_IsNamedInMessage()
    {
        var ex = Assert.Throws<PolicyParseException>(() => PolicySet.Parse("permit(", null, "rules/a.cedar"));
        Assert.Equal("rules/a.cedar", ex.FileName);
        Assert.StartsWith("rules/a.cedar:1:8: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManyPolicies_NamesThemInTextOrderAndKeepsAnnotations()
    {
        var set = PolicySet.Parse("""
            // leading comment
            @id("allow-client") @reason("clients may calculate tax")
            permit(principal == Agent::"spiffe://company.org/agent/client", action == Action::"calculate-tax", resource);
            forbid(principal, action, resource) unless { context.trustDomain == "company.org" };
            @advice permit(principal is Agent in Group::"g", action in [Action::"a", Action::"b"], resource is Agent);
            """);
        Assert.Equal(["policy0", "policy1", "policy2"], set.Policies.Select(p => p.Id));
        Assert.Equal("allow-client", set.Policies[0].DisplayName);
        Assert.Equal("clients may calculate tax", set.Policies[0].Reason);
        Assert.Equal("policy1", set.Policies[1].DisplayName);
        Assert.Equal(PolicyEffect.Forbid, set.Policies[1].Effect);
        Assert.Equal(string.Empty, set.Policies[2].Annotations["advice"]);
        Assert.True(set.Policies[0].IsScopeOnly);
        Assert.False(set.Policies[1].IsScopeOnly);
        Assert.Equal(2, set.Policies[0].Line);
    }

    [Fact]
    public void Parse_SeveralSources_NumbersAcrossThem()
    {
        var set = PolicySet.Parse([("a.cedar", "permit(principal, action, resource);"), ("b.cedar", "forbid(principal, action, resource);permit(principal, action, resource);")]);
        Assert.Equal(["policy0", "policy1", "policy2"], set.Policies.Select(p => p.Id));
    }

    [Theory]
    [InlineData("User::\"alice\"", "User", "alice")]
    [InlineData("Acme::Agent::\"spiffe://x/y\"", "Acme::Agent", "spiffe://x/y")]
    [InlineData("User::\"a\\\"b\"", "User", "a\"b")]
    public void EntityUid_Parse_ReadsTypeAndId(string text, string type, string id)
    {
        var uid = EntityUid.Parse(text);
        Assert.Equal((type, id), (uid.Type, uid.Id));
        Assert.Equal(uid, EntityUid.Parse(uid.ToString()));
    }

    [Theory]
    [InlineData("User")]
    [InlineData("User::alice")]
    [InlineData("::\"a\"")]
    [InlineData("User::\"a\" extra")]
    public void EntityUid_Parse_RejectsMalformed(string text)
    {
        Assert.Throws<FormatException>(() => EntityUid.Parse(text));
        Assert.False(EntityUid.TryParse(text, out _));
    }
}
