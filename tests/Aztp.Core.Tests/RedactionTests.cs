using Aztp.Core;

namespace Aztp.Core.Tests;

public class RedactionTests
{
    public static TheoryData<string, bool> KeyVectors => new()
    {
        { "token", true }, { "accessToken", true }, { "refresh_token", true }, { "Tokens", true },
        { "password", true }, { "dbPassword", true }, { "passwd", true }, { "passphrase", true },
        { "secret", true }, { "clientSecret", true }, { "SECRETS", true },
        { "authorization", true }, { "Authorization", true }, { "cookie", true }, { "set-cookie", true },
        { "credentials", true }, { "bearer", true },
        { "key", true }, { "apiKey", true }, { "private_key", true }, { "signing.key", true }, { "keys", true },
        { "keyId", false }, { "spiffeId", false }, { "method", false }, { "reason", false }, { "monkey", false }, { "tokenizer", false },
    };

    [Theory]
    [MemberData(nameof(KeyVectors))]
    public void IsSensitiveKey_FollowsTheWordRule(string key, bool sensitive) =>
        Assert.Equal(sensitive, EventRedactor.IsSensitiveKey(key));

    public static TheoryData<string, string> StringVectors => new()
    {
        { "no secrets here", "no secrets here" },
        { "cert: -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----- done", "cert: [REDACTED:PEM] done" },
        { "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...", "[REDACTED:PEM]" },
        { "a -----BEGIN X-----\n1\n-----END X----- b -----BEGIN Y-----\n2\n-----END Y----- c", "a [REDACTED:PEM] b [REDACTED:PEM] c" },
        { "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly94In0.c2ln", "Bearer [REDACTED:JWT]" },
        { "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[REDACTED:JWT]" },
        { "eyJ not a token", "eyJ not a token" },
    };

    [Theory]
    [MemberData(nameof(StringVectors))]
    public void RedactString_MasksPemBlocksAndJwts(string input, string expected) =>
        Assert.Equal(expected, EventRedactor.RedactString(input));

    [Fact]
    public void Redact_MasksSensitiveKeysNestedValuesAndArrays_KeepsTheRest()
    {
        var e = SecurityEvent.Create(SecurityEventType.Rpc, "a", null, EventSeverity.Info, EventOutcome.Success,
            EventData.Of(
                new("action", "request_received"),
                new("authorization", "Bearer abc"),
                new("method", "calculate-tax"),
                new("nested", EventData.Of(new("password", "hunter2"), new("ok", 1))),
                new("list", EventValue.FromStrings(["fine", "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.sig"])),
                new("emptyToken", EventValue.Null)));
        var r = EventRedactor.Redact(e);
        Assert.Equal(EventRedactor.Mask, r.Data["authorization"].AsString());
        Assert.Equal("calculate-tax", r.Data["method"].AsString());
        Assert.Equal(EventRedactor.Mask, r.Data["nested"].AsObject()!["password"].AsString());
        Assert.Equal(1, r.Data["nested"].AsObject()!["ok"].AsInteger());
        Assert.Equal(new[] { "fine", EventRedactor.JwtMask }, r.Data["list"].AsArray().Select(v => v.AsString()));
        Assert.True(r.Data["emptyToken"].IsNull);
        Assert.Equal(e.Id, r.Id);
        Assert.DoesNotContain("hunter2", r.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_ReturnsSameInstance_WhenNothingToMask()
    {
        var e = SecurityEvent.Create(SecurityEventType.Identity, "a", null, EventSeverity.Info, EventOutcome.Success,
            EventData.Of(new("action", "verified"), new("spiffeId", "spiffe://x/y")));
        Assert.Same(e, EventRedactor.Redact(e));
    }
}

public class FactoryEventRedactionTests
{
    [Fact]
    public void FactoryEvents_WhoseKeysAreKnownSafe_StillHaveTheirValuesRedacted()
    {
        var f = new SecurityEventFactory("finance");
        var e = f.IdentityFailed("bad_token", "spiffe://company.org/p", null, "got eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln and -----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
        var r = EventRedactor.Redact(e);
        Assert.Equal("got [REDACTED:JWT] and [REDACTED:PEM]", r.Data["detail"].AsString());
        Assert.Equal(e.Data["reason"], r.Data["reason"]);
        var clean = f.RpcRequestReceived("echo", "spiffe://company.org/p", "10.0.0.1");
        Assert.Same(clean, EventRedactor.Redact(clean));
    }
}
