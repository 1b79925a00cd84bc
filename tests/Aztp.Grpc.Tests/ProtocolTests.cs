using Aztp.Grpc.Internal;
using Aztp.Grpc.Interop;
using Google.Protobuf.Reflection;
using Grpc.Testing;

namespace Aztp.Grpc.Tests;

/// <summary>Spec vectors for the protocol helpers, metadata rules and descriptor binding.</summary>
public sealed class ProtocolTests
{
    public static TheoryData<string, long> TimeoutVectors => new()
    {
        { "1H", TimeSpan.TicksPerHour },
        { "2M", 2 * TimeSpan.TicksPerMinute },
        { "30S", 30 * TimeSpan.TicksPerSecond },
        { "100m", 100 * TimeSpan.TicksPerMillisecond },
        { "250u", 2500 },
        { "1000n", 10 },
        { "99999999S", 99_999_999 * TimeSpan.TicksPerSecond },
    };

    [Theory]
    [MemberData(nameof(TimeoutVectors))]
    public void TryParseTimeout_ValidValues_Parse(string value, long ticks)
    {
        Assert.True(GrpcProtocol.TryParseTimeout(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-5S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void TryParseTimeout_InvalidValues_AreRejected(string value) => Assert.False(GrpcProtocol.TryParseTimeout(value, out _));

    [Theory]
    [InlineData(1L)]
    [InlineData(TimeSpan.TicksPerMillisecond)]
    [InlineData(TimeSpan.TicksPerSecond * 30)]
    [InlineData(TimeSpan.TicksPerDay * 400)]
    [InlineData(long.MaxValue)]
    public void EncodeTimeout_IsAtMostEightDigits_AndNeverShorter(long ticks)
    {
        var encoded = GrpcProtocol.EncodeTimeout(TimeSpan.FromTicks(ticks));
        Assert.InRange(encoded.Length, 2, 9);
        Assert.True(GrpcProtocol.TryParseTimeout(encoded, out var parsed));
        Assert.True(parsed.Ticks >= Math.Min(ticks, 99_999_999 * TimeSpan.TicksPerHour), $"{encoded} decodes to {parsed.Ticks} < {ticks}");
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("tab\tnewline\n", "tab%09newline%0A")]
    [InlineData("☺", "%E2%98%BA")]
    public void PercentEncode_FollowsSpec_AndRoundTrips(string message, string encoded)
    {
        Assert.Equal(encoded, GrpcProtocol.PercentEncode(message));
        Assert.Equal(message, GrpcProtocol.PercentDecode(encoded));
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("%4", "%4")]
    [InlineData("%zz", "%zz")]
    public void PercentDecode_MalformedSequences_AreKept(string value, string expected) => Assert.Equal(expected, GrpcProtocol.PercentDecode(value));

    /// <summary>
    /// The HTTP-to-gRPC status mapping of gRPC's http-grpc-status-mapping.md for responses without grpc-status; shared by
    /// the unit test here and the end-to-end test over Kestrel (HttpStatusMappingTests).
    /// </summary>
    public static TheoryData<int, StatusCode> HttpStatusVectors => new()
    {
        { 400, StatusCode.Internal },
        { 401, StatusCode.Unauthenticated },
        { 403, StatusCode.PermissionDenied },
        { 404, StatusCode.Unimplemented },
        { 429, StatusCode.Unavailable },
        { 502, StatusCode.Unavailable },
        { 503, StatusCode.Unavailable },
        { 504, StatusCode.Unavailable },
        { 500, StatusCode.Unknown },
    };

    [Theory]
    [MemberData(nameof(HttpStatusVectors))]
    public void MapHttpStatus_FollowsHttpGrpcStatusMapping(int http, StatusCode expected) => Assert.Equal(expected, GrpcProtocol.MapHttpStatus(http));

    [Fact]
    public void StatusCode_HasAllSeventeenCodes() => Assert.Equal(Enumerable.Range(0, 17), Enum.GetValues<StatusCode>().Select(c => (int)c));

    [Theory]
    [InlineData("bad key", "v")]
    [InlineData("ключ", "v")]
    [InlineData("x-data-bin", "text for a binary key")]
    [InlineData("x-text", "new\nline")]
    [InlineData("x-text", "non-ascii é")]
    [InlineData("x-text", "tab\there")]
    [InlineData("x-text", "del\u007f")]
    [InlineData("x-text", "unit\u001fsep")]
    [InlineData("x-text", "\u0080")]
    [InlineData("x/y", "v")]
    [InlineData("x:y", "v")]
    [InlineData("x-\u00ff", "v")]
    public void Metadata_InvalidAsciiEntries_Throw(string key, string value) => Assert.Throws<ArgumentException>(() => new Metadata.Entry(key, value));

    [Fact]
    public void Metadata_BytesOnAsciiKey_Throws() => Assert.Throws<ArgumentException>(() => new Metadata.Entry("x-text", [1, 2]));

    [Theory]
    [InlineData("x-text", " ")]
    [InlineData("x-text", "~")]
    [InlineData("x-text", " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")]
    [InlineData("x-text", "")]
    [InlineData("a_b.c-0123456789", "v")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    public void Metadata_PrintableAsciiEntries_AreKeptAsGiven(string key, string value)
    {
        var entry = new Metadata.Entry(key, value);
        Assert.Same(key, entry.Key);
        Assert.Equal(value, entry.Value);
    }

    [Fact]
    public void Metadata_Keys_AreLowerCased() => Assert.Equal("x-mixed", new Metadata.Entry("X-Mixed", "v").Key);

    [Theory]
    [InlineData("AQID", new byte[] { 1, 2, 3 })]
    [InlineData("AQI", new byte[] { 1, 2 })]
    [InlineData("AQI=", new byte[] { 1, 2 })]
    public void BinaryHeaders_AcceptPaddedAndUnpadded(string value, byte[] expected)
    {
        Assert.True(GrpcProtocol.TryDecodeBinaryHeader(value, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void FromDescriptor_BindsMethodsByRpcName_AndLeavesOthersUnbound()
    {
        var service = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
        var definition = GrpcServiceDefinition.FromDescriptor(service, new TestServiceImpl());
        Assert.Equal("grpc.testing.TestService", definition.ServiceName);
        Assert.Contains("UnaryCall", definition.MethodNames);
        Assert.Contains("FullDuplexCall", definition.MethodNames);
        Assert.DoesNotContain("UnimplementedCall", definition.MethodNames);
    }

    [Fact]
    public void FromDescriptor_MethodWithWrongShape_ThrowsNamingTheRpc()
    {
        var service = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
        var ex = Assert.Throws<ArgumentException>(() => GrpcServiceDefinition.FromDescriptor(service, new WrongShape()));
        Assert.Contains("EmptyCall", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMethod_ByDescriptor_ChecksTheDelegateType()
    {
        var service = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
        var unary = service.FindMethodByName("UnaryCall");
        var builder = GrpcServiceDefinition.CreateBuilder(service.FullName);
        builder.AddMethod(unary, new Func<SimpleRequest, ServerCallContext, Task<SimpleResponse>>((r, c) => Task.FromResult(new SimpleResponse())));
        Assert.Throws<ArgumentException>(() => builder.AddMethod(service.FindMethodByName("EmptyCall"), new Func<SimpleRequest, ServerCallContext, Task<SimpleResponse>>((r, c) => Task.FromResult(new SimpleResponse()))));
        Assert.Throws<ArgumentException>(() => builder.AddMethod(unary, new Func<SimpleRequest, ServerCallContext, Task<SimpleResponse>>((r, c) => Task.FromResult(new SimpleResponse()))));
        Assert.Equal(["UnaryCall"], builder.Build().MethodNames);
    }

    [Fact]
    public void Method_FromDescriptor_WithWrongTypes_Throws()
    {
        var unary = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService").FindMethodByName("UnaryCall");
        Assert.Throws<ArgumentException>(() => new Method<Empty, Empty>(unary));
        var method = new Method<SimpleRequest, SimpleResponse>(unary);
        Assert.Equal("/grpc.testing.TestService/UnaryCall", method.FullName);
        Assert.Equal(MethodType.Unary, method.Type);
    }

    [Fact]
    public void Channel_RejectsBadAddressesAndOptions()
    {
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress("not a uri"));
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress("ftp://host"));
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress("http://host", new GrpcChannelOptions { ServerCertificateValidation = (_, _, _) => true }));
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress("http://host", new GrpcChannelOptions { RequestCompression = "br" }));
    }

    private sealed class WrongShape
    {
        public Task<Empty> EmptyCall(Empty request) => Task.FromResult(request);
    }
}
