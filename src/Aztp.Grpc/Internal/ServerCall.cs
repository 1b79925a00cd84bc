using System.Globalization;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Aztp.Grpc.Internal;

/// <summary>
/// One server call's state machine on an <see cref="HttpContext"/>: validates the request (PROTOCOL-HTTP2), reads and
/// writes framed messages, runs the interceptor chain and the handler, enforces the deadline and writes the status
/// as trailers (or as a trailers-only response when nothing was sent yet).
/// </summary>
internal sealed class ServerCall : IDisposable
{
    private readonly GrpcServerOptions _options;
    // Writes are serialized by a semaphore only when a deadline can complete the call while the handler still runs;
    // otherwise a flag enforces the one-pending-write rule without allocating.
    private SemaphoreSlim? _writeLock;
    private int _writeBusy;
    private CancellationTokenSource? _callCts;
    private CancellationToken _callToken;
    private readonly string? _requestEncoding;
    private readonly string? _acceptEncoding;
    private MessageReader? _reader;
    private bool _headersSent;
    private bool _completed;
    private bool _responseGzip;
    private volatile bool _deadlineExceeded;
    private ServerMethod? _method;
    private int _interceptorIndex;
    private IMessage? _response;

    private ServerCall(HttpContext httpContext, GrpcServerOptions options, string? requestEncoding)
    {
        HttpContext = httpContext;
        _options = options;
        _requestEncoding = requestEncoding;
        _acceptEncoding = httpContext.Request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString();
        ResponseCompression = options.ResponseCompression;
        _callToken = httpContext.RequestAborted;
    }

    public HttpContext HttpContext { get; }

    public ServerCallContext Context { get; private set; } = null!;

    public string? ResponseCompression { get; set; }

    /// <summary>Serves one HTTP request as a gRPC call; <paramref name="method"/> null means UNIMPLEMENTED.</summary>
    public static async Task HandleAsync(HttpContext httpContext, ServerMethod? method, GrpcServerOptions options)
    {
        var request = httpContext.Request;
        var response = httpContext.Response;

        // PROTOCOL-HTTP2: gRPC runs on HTTP/2 only. An HTTP/1.x request gets 426 (never reaches a handler).
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Connection = "Upgrade";
            response.Headers.Upgrade = "h2c";
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            return;
        }

        // PROTOCOL-HTTP2: a content-type that does not begin with application/grpc gets HTTP 415.
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Internal).ToString(CultureInfo.InvariantCulture);
            response.Headers[GrpcProtocol.MessageTrailer] = GrpcProtocol.PercentEncode("Content-Type '" + request.ContentType + "' is not supported.");
            return;
        }

        response.ContentType = GrpcProtocol.ContentType;
        if (method is null)
        {
            WriteTrailersOnly(response, new Status(StatusCode.Unimplemented, "Method is unimplemented: " + request.Path.Value), null);
            return;
        }

        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length == 0)
        {
            encoding = null!;
        }
        else if (!GrpcProtocol.IsSupportedEncoding(encoding))
        {
            // PROTOCOL-HTTP2 compression: an unknown grpc-encoding is UNIMPLEMENTED, listing what we accept.
            response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            WriteTrailersOnly(response, new Status(StatusCode.Unimplemented, "Unsupported grpc-encoding '" + encoding + "'."), null);
            return;
        }

        DateTime? deadline = null;
        var timeoutValue = request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutValue.Length > 0)
        {
            if (!GrpcProtocol.TryParseTimeout(timeoutValue, out var timeout))
            {
                WriteTrailersOnly(response, new Status(StatusCode.Internal, "Malformed grpc-timeout header."), null);
                return;
            }

            deadline = timeout >= GrpcProtocol.MaxTimerDelay ? null : DateTime.UtcNow + timeout;
        }

        // Request metadata is built lazily (most handlers never read it), but malformed binary values fail the call now.
        foreach (var header in request.Headers)
        {
            if (Metadata.IsBinaryKey(header.Key))
            {
                foreach (var value in header.Value)
                {
                    if (value is not null && !GrpcProtocol.TryAddReceivedHeader(new Metadata(), header.Key, value))
                    {
                        WriteTrailersOnly(response, new Status(StatusCode.Internal, "Invalid base64 in binary header '" + header.Key + "'."), null);
                        return;
                    }
                }
            }
        }

        using var call = new ServerCall(httpContext, options, encoding);
        await call.RunAsync(method, deadline).ConfigureAwait(false);
    }

    private async Task RunAsync(ServerMethod method, DateTime? deadline)
    {
        CancellationTokenSource? deadlineCts = null;
        TaskCompletionSource? deadlineSignal = null;
        CancellationTokenRegistration deadlineRegistration = default;
        try
        {
            var request = HttpContext.Request;
            if (deadline is not null)
            {
                // Only a call with a deadline needs its own token source; others use the request's abort token.
                _callCts = CancellationTokenSource.CreateLinkedTokenSource(HttpContext.RequestAborted);
                _callToken = _callCts.Token;
                _writeLock = new SemaphoreSlim(1, 1);
            }

            Context = new ServerCallContext(this, method.FullName, request.Host.Value ?? string.Empty, deadline, _callToken);
            _reader = new MessageReader(request.BodyReader, method.RequestParser, _options.MaxReceiveMessageSize, _requestEncoding);

            if (deadline is { } due)
            {
                var remaining = due - DateTime.UtcNow;
                deadlineSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                deadlineCts = new CancellationTokenSource();
                var signal = deadlineSignal;
                deadlineRegistration = deadlineCts.Token.Register(() =>
                {
                    _deadlineExceeded = true;
                    signal.TrySetResult();
                    try
                    {
                        _callCts!.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The call already finished.
                    }
                });
                deadlineCts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }

            var handlerTask = InvokeAsync(method);
            if (deadlineSignal is not null && !handlerTask.IsCompleted)
            {
                await Task.WhenAny(handlerTask, deadlineSignal.Task).ConfigureAwait(false);
            }

            if (deadlineSignal is not null && !handlerTask.IsCompleted)
            {
                // The deadline passed while the handler still runs: the client gets DEADLINE_EXCEEDED now; the handler's
                // token has fired and its later writes are refused. We still wait for it before releasing the HttpContext.
                await CompleteAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), Context.ResponseTrailersIfAny, flushNow: true).ConfigureAwait(false);
                try
                {
                    await handlerTask.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The outcome was already sent.
                }

                return;
            }

            var (status, trailers) = await handlerTask.ConfigureAwait(false);
            await CompleteAsync(status, trailers).ConfigureAwait(false);
        }
        finally
        {
            await deadlineRegistration.DisposeAsync().ConfigureAwait(false);
            deadlineCts?.Dispose();
        }
    }

    /// <summary>
    /// The interceptor chain's continuation: the next interceptor, then the handler. One delegate for every call (the
    /// call is reached through its context), so a chain costs no closure per call.
    /// </summary>
    private static readonly Func<ServerCallContext, Task> Continuation = static context => context.Call.ContinueAsync(context);

    private Task ContinueAsync(ServerCallContext context)
    {
        var interceptors = _options.Interceptors;
        return _interceptorIndex < interceptors.Count
            ? interceptors[_interceptorIndex++].InterceptAsync(context, Continuation)
            : InvokeHandlerAsync();
    }

    private async Task InvokeHandlerAsync() => _response = await _method!.Invoker(this, Context.Request).ConfigureAwait(false);

    public void Dispose()
    {
        _callCts?.Dispose();
        _writeLock?.Dispose();
    }

    private async Task<(Status Status, Metadata? Trailers)> InvokeAsync(ServerMethod method)
    {
        try
        {
            if (method.Type is MethodType.Unary or MethodType.ServerStreaming)
            {
                var request = await ReadMessageAsync(CancellationToken.None).ConfigureAwait(false)
                    ?? throw new RpcException(new Status(StatusCode.Internal, "Request did not include a message."));
                if (await ReadMessageAsync(CancellationToken.None).ConfigureAwait(false) is not null)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Request included more than one message for a single-request method."));
                }

                Context.Request = request;
            }

            IMessage? response;
            if (_options.Interceptors.Count == 0)
            {
                response = await method.Invoker(this, Context.Request).ConfigureAwait(false);
            }
            else
            {
                _method = method;
                await ContinueAsync(Context).ConfigureAwait(false);
                response = _response;
            }

            if (method.Type is MethodType.Unary or MethodType.ClientStreaming && Context.Status.StatusCode == StatusCode.OK)
            {
                if (response is null)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "The handler returned no response message."));
                }

                // The single response goes out with the trailers when the request completes: no separate flush.
                await WriteMessageAsync(response, flush: false, CancellationToken.None).ConfigureAwait(false);
            }

            return (Context.Status, Context.ResponseTrailersIfAny);
        }
        catch (RpcException ex)
        {
            var trailers = Context.ResponseTrailersIfAny;
            if (ex.Trailers.Count > 0)
            {
                trailers = Context.ResponseTrailers;
                foreach (var entry in ex.Trailers)
                {
                    trailers.Add(entry);
                }
            }

            return (ex.Status, trailers);
        }
        catch (Exception) when (_deadlineExceeded)
        {
            return (new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), Context.ResponseTrailersIfAny);
        }
        catch (Exception) when (HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream; nothing can reach it any more.
            return (new Status(StatusCode.Cancelled, "Cancelled by the client."), Context.ResponseTrailersIfAny);
        }
        catch (Exception ex)
        {
            var detail = _options.EnableDetailedErrors
                ? "Exception was thrown by handler. " + ex.GetType().Name + ": " + ex.Message
                : "Exception was thrown by handler.";
            return (new Status(StatusCode.Unknown, detail), Context.ResponseTrailersIfAny);
        }
    }

    public async ValueTask<IMessage?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return await _reader!.ReadAsync(_callToken).ConfigureAwait(false);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callToken);
        return await _reader!.ReadAsync(linked.Token).ConfigureAwait(false);
    }

    public Metadata ReadRequestHeaders()
    {
        var headers = new Metadata();
        foreach (var header in HttpContext.Request.Headers)
        {
            if (header.Key.StartsWith(':') || header.Key.Equals(GrpcProtocol.TeHeader, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                if (value is not null)
                {
                    GrpcProtocol.TryAddReceivedHeader(headers, header.Key, value);
                }
            }
        }

        return headers;
    }

    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        await EnterWriteAsync(_callToken).ConfigureAwait(false);
        try
        {
            if (_headersSent || _completed)
            {
                throw new InvalidOperationException("Response headers can only be sent once per call, before the first message.");
            }

            AddMetadata(HttpContext.Response.Headers, headers);
            PrepareHeaders();
            await HttpContext.Response.BodyWriter.FlushAsync(_callToken).ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    public Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken) => WriteMessageAsync(message, flush: true, cancellationToken);

    public async Task WriteMessageAsync(IMessage message, bool flush, CancellationToken cancellationToken)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                throw new InvalidOperationException("The call is complete; no more messages can be written.");
            }

            if (!_headersSent)
            {
                PrepareHeaders();
            }

            var writer = HttpContext.Response.BodyWriter;
            MessageWriter.Write(writer, message, _responseGzip, _options.MaxSendMessageSize);
            if (flush)
            {
                await writer.FlushAsync(cancellationToken.CanBeCanceled ? cancellationToken : _callToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    private ValueTask EnterWriteAsync(CancellationToken cancellationToken)
    {
        if (_writeLock is { } writeLock)
        {
            return new ValueTask(writeLock.WaitAsync(cancellationToken));
        }

        if (Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            throw new InvalidOperationException("Only one write can be pending at a time.");
        }

        return ValueTask.CompletedTask;
    }

    private void ExitWrite()
    {
        if (_writeLock is { } writeLock)
        {
            writeLock.Release();
        }
        else
        {
            Volatile.Write(ref _writeBusy, 0);
        }
    }

    private void PrepareHeaders()
    {
        var response = HttpContext.Response;
        _responseGzip = ResponseCompression is not null &&
            ResponseCompression.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase) &&
            GrpcProtocol.AcceptsEncoding(_acceptEncoding, GrpcProtocol.GzipEncoding);
        if (_responseGzip)
        {
            response.Headers[GrpcProtocol.EncodingHeader] = GrpcProtocol.GzipEncoding;
        }

        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
        _headersSent = true;
    }

    private async Task CompleteAsync(Status status, Metadata? trailers, bool flushNow = false)
    {
        // Without a deadline the handler has returned before completion, so there is no writer to wait for.
        if (_writeLock is { } writeLock)
        {
            await writeLock.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            var response = HttpContext.Response;
            if (HttpContext.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            if (!_headersSent && !response.HasStarted)
            {
                // PROTOCOL-HTTP2 Trailers-Only: status and trailers travel in the only HEADERS frame.
                WriteTrailersOnly(response, status, trailers);
            }
            else
            {
                response.AppendTrailer(GrpcProtocol.StatusTrailer, ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture));
                if (status.Detail.Length > 0)
                {
                    response.AppendTrailer(GrpcProtocol.MessageTrailer, GrpcProtocol.PercentEncode(status.Detail));
                }

                if (trailers is not null)
                {
                    foreach (var entry in trailers)
                    {
                        if (!GrpcProtocol.IsReservedHeader(entry.Key))
                        {
                            response.AppendTrailer(entry.Key, entry.IsBinary ? GrpcProtocol.EncodeBinaryHeader(entry.ValueBytes) : entry.Value);
                        }
                    }
                }
            }

            if (flushNow)
            {
                try
                {
                    await response.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception) when (HttpContext.RequestAborted.IsCancellationRequested)
                {
                    // The client went away while we completed.
                }
            }
        }
        finally
        {
            _writeLock?.Release();
        }
    }

    private static void WriteTrailersOnly(HttpResponse response, Status status, Metadata? trailers)
    {
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusTrailer] = ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture);
        if (status.Detail.Length > 0)
        {
            response.Headers[GrpcProtocol.MessageTrailer] = GrpcProtocol.PercentEncode(status.Detail);
        }

        if (trailers is not null)
        {
            AddMetadata(response.Headers, trailers);
        }
    }

    private static void AddMetadata(IHeaderDictionary target, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            if (GrpcProtocol.IsReservedHeader(entry.Key))
            {
                continue;
            }

            var value = entry.IsBinary ? GrpcProtocol.EncodeBinaryHeader(entry.ValueBytes) : entry.Value;
            target.Append(entry.Key, value);
        }
    }
}
