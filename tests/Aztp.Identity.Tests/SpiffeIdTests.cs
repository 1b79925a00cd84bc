namespace Aztp.Identity.Tests;

public class SpiffeIdTests
{
    public static TheoryData<string, string, string> Valid => new()
    {
        { "spiffe://example.org", "example.org", "" },
        { "spiffe://example.org/workload", "example.org", "/workload" },
        { "spiffe://example.org/a/b/c", "example.org", "/a/b/c" },
        { "spiffe://td-with_chars.0-9/Path.With-All_Chars09", "td-with_chars.0-9", "/Path.With-All_Chars09" },
        { "spiffe://1.2.3.4/x", "1.2.3.4", "/x" },
        { "spiffe://example.org/...", "example.org", "/..." },
        { "spiffe://example.org/.a/..b", "example.org", "/.a/..b" },
        { "spiffe://a/B", "a", "/B" },
        { "spiffe://_/-", "_", "/-" },
    };

    public static TheoryData<string, SpiffeIdRule> Invalid => new()
    {
        { "", SpiffeIdRule.Empty },
        { "example.org/workload", SpiffeIdRule.WrongScheme },
        { "SPIFFE://example.org/workload", SpiffeIdRule.WrongScheme },
        { "Spiffe://example.org", SpiffeIdRule.WrongScheme },
        { "https://example.org/workload", SpiffeIdRule.WrongScheme },
        { "spiffe:/example.org", SpiffeIdRule.WrongScheme },
        { "spiffe:example.org", SpiffeIdRule.WrongScheme },
        { " spiffe://example.org", SpiffeIdRule.WrongScheme },
        { "spiffe://", SpiffeIdRule.MissingTrustDomain },
        { "spiffe:///path", SpiffeIdRule.MissingTrustDomain },
        { "spiffe://Example.org/x", SpiffeIdRule.TrustDomainCharacters },
        { "spiffe://exa mple.org", SpiffeIdRule.TrustDomainCharacters },
        { "spiffe://exa%41mple.org", SpiffeIdRule.TrustDomainCharacters },
        { "spiffe://ex~ample.org", SpiffeIdRule.TrustDomainCharacters },
        { "spiffe://exämple.org", SpiffeIdRule.TrustDomainCharacters },
        { "spiffe://example.org:8080/x", SpiffeIdRule.Port },
        { "spiffe://example.org:/x", SpiffeIdRule.Port },
        { "spiffe://user@example.org/x", SpiffeIdRule.UserInfo },
        { "spiffe://user:pw@example.org", SpiffeIdRule.Port },
        { "spiffe://example.org?x=1", SpiffeIdRule.Query },
        { "spiffe://example.org/path?x=1", SpiffeIdRule.Query },
        { "spiffe://example.org#frag", SpiffeIdRule.Fragment },
        { "spiffe://example.org/path#frag", SpiffeIdRule.Fragment },
        { "spiffe://example.org/", SpiffeIdRule.TrailingSlash },
        { "spiffe://example.org/path/", SpiffeIdRule.TrailingSlash },
        { "spiffe://example.org//path", SpiffeIdRule.EmptySegment },
        { "spiffe://example.org/a//b", SpiffeIdRule.EmptySegment },
        { "spiffe://example.org/.", SpiffeIdRule.DotSegment },
        { "spiffe://example.org/..", SpiffeIdRule.DotSegment },
        { "spiffe://example.org/a/./b", SpiffeIdRule.DotSegment },
        { "spiffe://example.org/a/../b", SpiffeIdRule.DotSegment },
        { "spiffe://example.org/a b", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/a%20b", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/a:b", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/a@b", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/a~b", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/ä", SpiffeIdRule.PathCharacters },
        { "spiffe://example.org/a\\b", SpiffeIdRule.PathCharacters },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_ValidVector_SplitsTrustDomainAndPath(string input, string trustDomain, string path)
    {
        var id = SpiffeId.Parse(input);
        Assert.Equal(trustDomain, id.TrustDomain.Name);
        Assert.Equal(path, id.Path);
        Assert.Equal(input, id.ToString());
        Assert.True(SpiffeId.TryParse(input, out var again));
        Assert.Equal(id, again);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_InvalidVector_NamesTheBrokenRule(string input, SpiffeIdRule rule)
    {
        var error = Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.Parse(input));
        Assert.Equal(rule, error.Rule);
        Assert.False(SpiffeId.TryParse(input, out var id, out var reported));
        Assert.Null(id);
        Assert.Equal(rule, reported);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalseWithoutThrowing()
    {
        Assert.False(SpiffeId.TryParse(null, out _, out var rule));
        Assert.Equal(SpiffeIdRule.Empty, rule);
        Assert.False(TrustDomain.TryParse(null, out _));
    }

    [Fact]
    public void Parse_TrustDomainAtMaximumLength_IsAccepted_AndOneMoreIsRefused()
    {
        var td255 = new string('a', 255);
        Assert.Equal(td255, SpiffeId.Parse("spiffe://" + td255 + "/x").TrustDomain.Name);
        var error = Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.Parse("spiffe://" + td255 + "a/x"));
        Assert.Equal(SpiffeIdRule.TrustDomainTooLong, error.Rule);
        Assert.Equal(SpiffeIdRule.TrustDomainTooLong, Assert.Throws<SpiffeIdFormatException>(() => TrustDomain.Parse(td255 + "a")).Rule);
    }

    [Fact]
    public void Parse_IdAtMaximumLength_IsAccepted_AndOneMoreByteIsRefused()
    {
        var prefix = "spiffe://example.org/";
        var exact = prefix + new string('p', 2048 - prefix.Length);
        Assert.Equal(2048, SpiffeId.Parse(exact).ToString().Length);
        Assert.Equal(SpiffeIdRule.TooLong, Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.Parse(exact + "p")).Rule);
    }

    [Theory]
    [InlineData("example.org", "example.org")]
    [InlineData("spiffe://example.org", "example.org")]
    [InlineData("a-b_c.d", "a-b_c.d")]
    public void TrustDomain_Parse_AcceptsNameOrIdForm(string input, string name)
    {
        var td = TrustDomain.Parse(input);
        Assert.Equal(name, td.Name);
        Assert.Equal("spiffe://" + name, td.IdString);
    }

    [Theory]
    [InlineData("", SpiffeIdRule.Empty)]
    [InlineData("Example.org", SpiffeIdRule.TrustDomainCharacters)]
    [InlineData("example.org:443", SpiffeIdRule.Port)]
    [InlineData("user@example.org", SpiffeIdRule.UserInfo)]
    [InlineData("spiffe://example.org/path", SpiffeIdRule.TrustDomainCharacters)]
    [InlineData("example.org/path", SpiffeIdRule.TrustDomainCharacters)]
    [InlineData("spiffe://", SpiffeIdRule.MissingTrustDomain)]
    public void TrustDomain_Parse_Invalid_NamesRule(string input, SpiffeIdRule rule)
    {
        Assert.Equal(rule, Assert.Throws<SpiffeIdFormatException>(() => TrustDomain.Parse(input)).Rule);
        Assert.False(TrustDomain.TryParse(input, out _));
    }

    [Fact]
    public void Equality_IsOrdinalOnTheWholeId_AndMembershipOnTheTrustDomain()
    {
        var a = SpiffeId.Parse("spiffe://example.org/finance");
        var b = SpiffeId.Parse("spiffe://example.org/finance");
        var c = SpiffeId.Parse("spiffe://example.org/Finance");
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.True(a.IsMemberOf(TrustDomain.Parse("example.org")));
        Assert.False(a.IsMemberOf(TrustDomain.Parse("example.com")));
        Assert.True(TrustDomain.Parse("example.org").Contains(c));
    }

    [Fact]
    public void FromSegments_BuildsId_AndRefusesBadSegments()
    {
        var td = TrustDomain.Parse("example.org");
        Assert.Equal("spiffe://example.org/ns/prod/agent", td.Id("ns", "prod", "agent").ToString());
        Assert.Equal(SpiffeIdRule.EmptySegment, Assert.Throws<SpiffeIdFormatException>(() => td.Id("a/b")).Rule);
        Assert.Equal(SpiffeIdRule.EmptySegment, Assert.Throws<SpiffeIdFormatException>(() => td.Id("")).Rule);
        Assert.Equal(SpiffeIdRule.DotSegment, Assert.Throws<SpiffeIdFormatException>(() => td.Id("..")).Rule);
        Assert.Equal(SpiffeIdRule.PathCharacters, Assert.Throws<SpiffeIdFormatException>(() => td.Id("a b")).Rule);
    }

    [Fact]
    public void Authorizers_AcceptWhatTheyName_AndFailClosed()
    {
        var td = TrustDomain.Parse("example.org");
        var finance = td.Id("finance");
        var billing = td.Id("billing");
        var other = SpiffeId.Parse("spiffe://other.org/finance");
        Assert.True(SpiffeAuthorizer.Any().Authorize(other));
        Assert.True(SpiffeAuthorizer.Id(finance).Authorize(SpiffeId.Parse("spiffe://example.org/finance")));
        Assert.False(SpiffeAuthorizer.Id("spiffe://example.org/finance").Authorize(billing));
        Assert.True(SpiffeAuthorizer.MemberOf(td).Authorize(billing));
        Assert.False(SpiffeAuthorizer.MemberOf(td).Authorize(other));
        Assert.True(SpiffeAuthorizer.OneOf(finance, billing).Authorize(billing));
        Assert.False(SpiffeAuthorizer.OneOf(finance).Authorize(other));
        Assert.Throws<ArgumentException>(() => SpiffeAuthorizer.OneOf());
        Assert.True(SpiffeAuthorizer.Matching("path starts with /fin", id => id.Path.StartsWith("/fin", StringComparison.Ordinal)).Authorize(finance));
        Assert.False(SpiffeAuthorizer.Matching("throws", _ => throw new InvalidOperationException()).Authorize(finance));
        Assert.False(SpiffeAuthorizer.Any().Authorize(null));
    }
}
