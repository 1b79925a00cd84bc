using Aztp.Grpc;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Testing;

namespace Aztp.Grpc.Interop;

/// <summary>The client side of the interop test cases (gRPC's interop-test-descriptions), run against any server.</summary>
public sealed class InteropClient(GrpcChannel channel)
{
    /// <summary>
    /// When false, client_compressed_unary skips only its feature probe (an uncompressed request claiming compression
    /// must be rejected). Python grpcio servers cannot see whether a request was compressed, so against them the probe
    /// cannot pass; the compressed and uncompressed calls still run.
    /// </summary>
    public bool CompressionProbe { get; init; } = true;

    public static readonly string[] TestCases =
    [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
        "status_code_and_message", "special_status_message", "custom_metadata", "unimplemented_method",
        "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
        "client_compressed_unary", "server_compressed_unary",
    ];

    private static readonly ServiceDescriptor TestService = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
    private static readonly Method<Empty, Empty> EmptyCall = new(TestService.FindMethodByName("EmptyCall"));
    private static readonly Method<SimpleRequest, SimpleResponse> UnaryCall = new(TestService.FindMethodByName("UnaryCall"));
    private static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> StreamingOutputCall = new(TestService.FindMethodByName("StreamingOutputCall"));
    private static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> StreamingInputCall = new(TestService.FindMethodByName("StreamingInputCall"));
    private static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> FullDuplexCall = new(TestService.FindMethodByName("FullDuplexCall"));
    private static readonly Method<Empty, Empty> UnimplementedCall = new(TestService.FindMethodByName("UnimplementedCall"));
    private static readonly Method<Empty, Empty> UnimplementedServiceCall = new(MethodType.Unary, "grpc.testing.UnimplementedService", "UnimplementedCall", Empty.Parser, Empty.Parser);

    private static readonly int[] RequestSizes = [27182, 8, 1828, 45904];
    private static readonly int[] ResponseSizes = [31415, 9, 2653, 58979];

    public Task RunAsync(string testCase) => testCase switch
    {
        "empty_unary" => EmptyUnaryAsync(),
        "large_unary" => LargeUnaryAsync(),
        "client_streaming" => ClientStreamingAsync(),
        "server_streaming" => ServerStreamingAsync(),
        "ping_pong" => PingPongAsync(),
        "empty_stream" => EmptyStreamAsync(),
        "status_code_and_message" => StatusCodeAndMessageAsync(),
        "special_status_message" => SpecialStatusMessageAsync(),
        "custom_metadata" => CustomMetadataAsync(),
        "unimplemented_method" => UnimplementedAsync(UnimplementedCall),
        "unimplemented_service" => UnimplementedAsync(UnimplementedServiceCall),
        "cancel_after_begin" => CancelAfterBeginAsync(),
        "cancel_after_first_response" => CancelAfterFirstResponseAsync(),
        "timeout_on_sleeping_server" => TimeoutOnSleepingServerAsync(),
        "client_compressed_unary" => ClientCompressedUnaryAsync(),
        "server_compressed_unary" => ServerCompressedUnaryAsync(),
        _ => throw new ArgumentException($"Unknown test case '{testCase}'."),
    };

    private async Task EmptyUnaryAsync()
    {
        var response = await channel.AsyncUnaryCall(EmptyCall, new Empty());
        Check(response is not null, "EmptyCall returned no message");
    }

    private async Task LargeUnaryAsync()
    {
        var response = await channel.AsyncUnaryCall(UnaryCall, LargeRequest());
        Check(response.Payload.Body.Length == 314159, $"payload length {response.Payload.Body.Length}, expected 314159");
    }

    private async Task ClientStreamingAsync()
    {
        using var call = channel.AsyncClientStreamingCall(StreamingInputCall);
        foreach (var size in RequestSizes)
        {
            await call.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = Zeros(size) }, CancellationToken.None);
        }

        await call.RequestStream.CompleteAsync();
        var response = await call;
        Check(response.AggregatedPayloadSize == 74922, $"aggregated size {response.AggregatedPayloadSize}, expected 74922");
    }

    private async Task ServerStreamingAsync()
    {
        var request = new StreamingOutputCallRequest();
        foreach (var size in ResponseSizes)
        {
            request.ResponseParameters.Add(new ResponseParameters { Size = size });
        }

        using var call = channel.AsyncServerStreamingCall(StreamingOutputCall, request);
        var sizes = new List<int>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            sizes.Add(call.ResponseStream.Current.Payload.Body.Length);
        }

        Check(sizes.SequenceEqual(ResponseSizes), $"response sizes [{string.Join(",", sizes)}]");
        Check(call.GetStatus().StatusCode == StatusCode.OK, "status not OK");
    }

    private async Task PingPongAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(FullDuplexCall);
        for (var i = 0; i < RequestSizes.Length; i++)
        {
            var request = new StreamingOutputCallRequest { Payload = Zeros(RequestSizes[i]) };
            request.ResponseParameters.Add(new ResponseParameters { Size = ResponseSizes[i] });
            await call.RequestStream.WriteAsync(request, CancellationToken.None);
            Check(await call.ResponseStream.MoveNext(CancellationToken.None), $"no response {i}");
            Check(call.ResponseStream.Current.Payload.Body.Length == ResponseSizes[i], $"response {i} has {call.ResponseStream.Current.Payload.Body.Length} bytes");
        }

        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(CancellationToken.None), "unexpected extra response");
    }

    private async Task EmptyStreamAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(FullDuplexCall);
        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(CancellationToken.None), "unexpected response on an empty stream");
    }

    private async Task StatusCodeAndMessageAsync()
    {
        const string message = "test status message";
        await ExpectStatusAsync(StatusCode.Unknown, message, async () =>
            await channel.AsyncUnaryCall(UnaryCall, new SimpleRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } }));

        await ExpectStatusAsync(StatusCode.Unknown, message, async () =>
        {
            using var call = channel.AsyncDuplexStreamingCall(FullDuplexCall);
            await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } }, CancellationToken.None);
            await call.RequestStream.CompleteAsync();
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    private async Task SpecialStatusMessageAsync()
    {
        const string message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
        await ExpectStatusAsync(StatusCode.Unknown, message, async () =>
            await channel.AsyncUnaryCall(UnaryCall, new SimpleRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } }));
    }

    private async Task CustomMetadataAsync()
    {
        const string initialValue = "test_initial_metadata_value";
        byte[] trailingValue = [0xab, 0xab, 0xab];
        Metadata Headers() => new Metadata { { "x-grpc-test-echo-initial", initialValue }, { "x-grpc-test-echo-trailing-bin", trailingValue } };

        using (var call = channel.AsyncUnaryCall(UnaryCall, LargeRequest(), new CallOptions(Headers())))
        {
            await call;
            CheckEchoed(await call.ResponseHeadersAsync, call.GetTrailers(), initialValue, trailingValue);
        }

        using (var call = channel.AsyncDuplexStreamingCall(FullDuplexCall, new CallOptions(Headers())))
        {
            var request = new StreamingOutputCallRequest { Payload = Zeros(271828) };
            request.ResponseParameters.Add(new ResponseParameters { Size = 314159 });
            await call.RequestStream.WriteAsync(request, CancellationToken.None);
            await call.RequestStream.CompleteAsync();
            Check(await call.ResponseStream.MoveNext(CancellationToken.None), "no duplex response");
            Check(!await call.ResponseStream.MoveNext(CancellationToken.None), "extra duplex response");
            CheckEchoed(await call.ResponseHeadersAsync, call.GetTrailers(), initialValue, trailingValue);
        }
    }

    private async Task UnimplementedAsync(Method<Empty, Empty> method) =>
        await ExpectStatusAsync(StatusCode.Unimplemented, null, async () => await channel.AsyncUnaryCall(method, new Empty()));

    private async Task CancelAfterBeginAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.AsyncClientStreamingCall(StreamingInputCall, new CallOptions(cancellationToken: cts.Token));
        await cts.CancelAsync();
        await ExpectStatusAsync(StatusCode.Cancelled, null, async () => await call);
    }

    private async Task CancelAfterFirstResponseAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.AsyncDuplexStreamingCall(FullDuplexCall, new CallOptions(cancellationToken: cts.Token));
        var request = new StreamingOutputCallRequest { Payload = Zeros(27182) };
        request.ResponseParameters.Add(new ResponseParameters { Size = 31415 });
        await call.RequestStream.WriteAsync(request, CancellationToken.None);
        Check(await call.ResponseStream.MoveNext(CancellationToken.None), "no first response");
        Check(call.ResponseStream.Current.Payload.Body.Length == 31415, "first response size");
        await cts.CancelAsync();
        await ExpectStatusAsync(StatusCode.Cancelled, null, async () => await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    private async Task TimeoutOnSleepingServerAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(FullDuplexCall, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(1)));
        try
        {
            await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { Payload = Zeros(27182) }, CancellationToken.None);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            // The spec allows the write to fail once the deadline has passed.
        }
        catch (InvalidOperationException)
        {
            // Likewise: the call already completed with DEADLINE_EXCEEDED.
        }

        await ExpectStatusAsync(StatusCode.DeadlineExceeded, null, async () => await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    private async Task ClientCompressedUnaryAsync()
    {
        // Feature probe: an uncompressed request that claims compression must be rejected with INVALID_ARGUMENT.
        var probe = LargeRequest();
        probe.ExpectCompressed = new BoolValue { Value = true };
        if (CompressionProbe)
        {
            await ExpectStatusAsync(StatusCode.InvalidArgument, null, async () => await channel.AsyncUnaryCall(UnaryCall, probe));
        }

        var compressed = LargeRequest();
        compressed.ExpectCompressed = new BoolValue { Value = true };
        var response = await channel.AsyncUnaryCall(UnaryCall, compressed, new CallOptions { RequestCompression = "gzip" });
        Check(response.Payload.Body.Length == 314159, "compressed request: response size");

        var plain = LargeRequest();
        plain.ExpectCompressed = new BoolValue { Value = false };
        response = await channel.AsyncUnaryCall(UnaryCall, plain, new CallOptions { RequestCompression = "identity" });
        Check(response.Payload.Body.Length == 314159, "uncompressed request: response size");
    }

    private async Task ServerCompressedUnaryAsync()
    {
        foreach (var compressed in new[] { true, false })
        {
            var request = LargeRequest();
            request.ResponseCompressed = new BoolValue { Value = compressed };
            var response = await channel.AsyncUnaryCall(UnaryCall, request);
            Check(response.Payload.Body.Length == 314159, $"response size with response_compressed={compressed}");
        }
    }

    private static SimpleRequest LargeRequest() => new() { ResponseSize = 314159, Payload = Zeros(271828) };

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    private static void CheckEchoed(Metadata headers, Metadata trailers, string initial, byte[] trailing)
    {
        Check(headers.GetValue("x-grpc-test-echo-initial") == initial, "initial metadata not echoed");
        Check(trailers.GetValueBytes("x-grpc-test-echo-trailing-bin") is { } bytes && bytes.AsSpan().SequenceEqual(trailing), "trailing metadata not echoed");
    }

    private static async Task ExpectStatusAsync(StatusCode code, string? detail, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (RpcException ex)
        {
            Check(ex.StatusCode == code, $"status {ex.StatusCode} ({ex.Status.Detail}), expected {code}");
            Check(detail is null || ex.Status.Detail == detail, $"detail '{ex.Status.Detail}', expected '{detail}'");
            return;
        }

        throw new InteropException($"call succeeded, expected {code}");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InteropException(message);
        }
    }
}

public sealed class InteropException(string message) : Exception(message);
