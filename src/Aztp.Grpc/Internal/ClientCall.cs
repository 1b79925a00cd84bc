using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Google.Protobuf;

namespace Aztp.Grpc.Internal;

/// <summary>
/// One client call's state machine over an HTTP/2 request: sends headers and messages, reads response headers,
/// messages and trailers, and settles the final status exactly once (from the server, a deadline, a cancellation or
/// a local protocol error).
/// </summary>
internal sealed class ClientCall : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly string _fullName;
    private readonly MethodType _type;
    private readonly MessageParser _responseParser;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource _headersReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Status> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _compressRequests;
    private ClientCallContext? _context;
    private PushStreamContent? _content;
    private Task _sendTask = Task.CompletedTask;
    private HttpResponseMessage? _response;
    private StreamMessageReader? _reader;
    private CancellationTokenRegistration _userCancellation;
    private CancellationTokenSource? _deadlineCts;
    private Status? _status;
    private Metadata? _trailers;
    private HttpHeaders? _trailerSource;
    private HttpHeaders? _responseHeaders;
    private Task<Metadata>? _headersTask;
    private int _finishedFlag;
    private bool _requestCompleted;
    private bool _writePending;
    private volatile bool _disposed;

    public ClientCall(GrpcChannel channel, string fullName, MethodType type, MessageParser responseParser, CallOptions options)
    {
        _channel = channel;
        _fullName = fullName;
        _type = type;
        _responseParser = responseParser;
        _options = options;
        var encoding = options.RequestCompression ?? channel.Options.RequestCompression;
        if (encoding is not null && !GrpcProtocol.IsSupportedEncoding(encoding))
        {
            throw new ArgumentException($"Request compression '{encoding}' is not supported; use 'gzip' or 'identity'.", nameof(options));
        }

        _compressRequests = encoding is not null && encoding.Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase);
    }

    // Metadata is built from the HTTP headers only when asked for: most calls never read it.
    public Task<Metadata> ResponseHeadersAsync => _headersTask ??= ReadResponseHeadersMetadataAsync();

    private Metadata Trailers => _trailers ??= _trailerSource is null ? new Metadata() : ReadMetadata(_trailerSource);

    private async Task<Metadata> ReadResponseHeadersMetadataAsync()
    {
        await _headersReady.Task.ConfigureAwait(false);
        return _responseHeaders is null ? new Metadata() : ReadMetadata(_responseHeaders);
    }

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call is not complete; its status is not known yet.");

    public Metadata GetTrailers() => _status is null ? throw new InvalidOperationException("The call is not complete; its trailers are not known yet.") : Trailers;

    public void Start(IMessage? request)
    {
        if (_options.CancellationToken.CanBeCanceled)
        {
            _userCancellation = _options.CancellationToken.Register(static state => ((ClientCall)state!).CancelLocally(), this);
        }

        if (request is null)
        {
            _content = new PushStreamContent();
        }

        _sendTask = SendAsync(request);
    }

    private async Task SendAsync(IMessage? request)
    {
        var headers = _options.Headers;
        var interceptors = _channel.Options.Interceptors;
        if (interceptors.Count > 0)
        {
            // Interceptors may add metadata: give them a copy, never the caller's instance.
            var copy = new Metadata();
            if (headers is not null)
            {
                for (var i = 0; i < headers.Count; i++)
                {
                    copy.Add(headers[i]);
                }
            }

            headers = copy;
            _context = new ClientCallContext(_fullName, _type, _channel.Address, copy, _options.Deadline, interceptors);
            try
            {
                for (var i = 0; i < interceptors.Count; i++)
                {
                    await interceptors[i].OnCallStartingAsync(_context, _cts.Token).ConfigureAwait(false);
                }
            }
            catch (RpcException ex)
            {
                Finish(ex.Status, ex.Trailers, fromServer: true);
                return;
            }
            catch (Exception ex)
            {
                // A failing interceptor fails the call closed: nothing is sent. (No-op if the call was already settled.)
                Finish(new Status(StatusCode.Unknown, "A client interceptor failed: " + ex.GetType().Name), new Metadata(), fromServer: true);
                return;
            }
        }

        if (_status is not null)
        {
            return;
        }

        var timeout = TimeSpan.Zero;
        if (_options.Deadline is { } deadline)
        {
            timeout = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (timeout <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata(), fromServer: false);
                return;
            }

            if (timeout < GrpcProtocol.MaxTimerDelay)
            {
                _deadlineCts = new CancellationTokenSource();
                _deadlineCts.Token.Register(static state => ((ClientCall)state!).Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata(), false), this);
                _deadlineCts.CancelAfter(timeout);
            }
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, _channel.GetMethodUri(_fullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var requestHeaders = message.Headers;
        if (_channel.Options.ServerNameOverride is { } authority)
        {
            requestHeaders.Host = authority;
        }

        requestHeaders.TryAddWithoutValidation(GrpcProtocol.TeHeader, "trailers");
        requestHeaders.TryAddWithoutValidation("User-Agent", GrpcProtocol.UserAgent);
        requestHeaders.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        if (_compressRequests)
        {
            requestHeaders.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, GrpcProtocol.GzipEncoding);
        }

        if (_options.Deadline is not null)
        {
            requestHeaders.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.EncodeTimeout(timeout));
        }

        if (headers is not null)
        {
            for (var i = 0; i < headers.Count; i++)
            {
                var entry = headers[i];
                if (!GrpcProtocol.IsReservedHeader(entry.Key))
                {
                    requestHeaders.TryAddWithoutValidation(entry.Key, entry.IsBinary ? GrpcProtocol.EncodeBinaryHeader(entry.ValueBytes) : entry.Value);
                }
            }
        }

        if (request is not null)
        {
            try
            {
                message.Content = new FramedMessageContent(MessageWriter.ToArray(request, _compressRequests, _channel.Options.MaxSendMessageSize));
            }
            catch (RpcException ex)
            {
                Finish(ex.Status, new Metadata(), fromServer: false);
                return;
            }
        }
        else
        {
            message.Content = _content;
        }

        try
        {
            _response = await _channel.Invoker.SendAsync(message, _cts.Token).ConfigureAwait(false);
            await ReadResponseHeadersAsync(_response).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Finish(MapException(ex), new Metadata(), fromServer: false);
        }
    }

    private async Task ReadResponseHeadersAsync(HttpResponseMessage response)
    {
        var headers = response.Headers;
        var hasStatus = headers.NonValidated.Contains(GrpcProtocol.StatusTrailer);
        if (response.StatusCode != HttpStatusCode.OK && !hasStatus)
        {
            // http-grpc-status-mapping: without grpc-status, the HTTP status decides.
            var code = (int)response.StatusCode;
            Finish(new Status(GrpcProtocol.MapHttpStatus(code), "Bad gRPC response. HTTP status code: " + code.ToString(CultureInfo.InvariantCulture)), new Metadata(), fromServer: true);
            return;
        }

        if (hasStatus)
        {
            // Trailers-Only: the only HEADERS frame carries the status; its metadata is both headers and trailers.
            _responseHeaders = headers;
            _headersReady.TrySetResult();
            Finish(ReadStatus(headers), null, fromServer: true, headers);
            return;
        }

        var contentType = response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var contentTypes) ? contentTypes.ToString() : null;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Internal, "Bad gRPC response. Invalid content-type value: " + contentType), new Metadata(), fromServer: false);
            return;
        }

        string? encoding = null;
        if (headers.NonValidated.TryGetValues(GrpcProtocol.EncodingHeader, out var encodings))
        {
            encoding = encodings.ToString();
            if (!GrpcProtocol.IsSupportedEncoding(encoding))
            {
                Finish(new Status(StatusCode.Internal, "Unsupported grpc-encoding '" + encoding + "' in the response."), new Metadata(), fromServer: false);
                return;
            }
        }

        _responseHeaders = headers;
        _headersReady.TrySetResult();
        var stream = await response.Content.ReadAsStreamAsync(_cts.Token).ConfigureAwait(false);
        _reader = new StreamMessageReader(stream, _responseParser, _channel.Options.MaxReceiveMessageSize ?? int.MaxValue, encoding);
    }

    public async Task<IMessage?> ReadNextAsync(CancellationToken cancellationToken)
    {
        await _sendTask.ConfigureAwait(false);
        if (_status is { } settled)
        {
            return settled.StatusCode == StatusCode.OK ? null : throw new RpcException(settled, Trailers);
        }

        try
        {
            IMessage? message;
            if (cancellationToken.CanBeCanceled)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
                message = await _reader!.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            else
            {
                message = await _reader!.ReadAsync(_cts.Token).ConfigureAwait(false);
            }

            if (message is not null)
            {
                return message;
            }
        }
        catch (RpcException ex)
        {
            Finish(ex.Status, new Metadata(), fromServer: false);
            throw new RpcException(_status!.Value, Trailers);
        }
        catch (Exception ex)
        {
            if (cancellationToken.IsCancellationRequested && !_cts.IsCancellationRequested)
            {
                CancelLocally();
            }

            Finish(MapException(ex), new Metadata(), fromServer: false);
            throw new RpcException(_status!.Value, Trailers);
        }

        // End of the response body: the status is in the trailers.
        var trailers = _response!.TrailingHeaders;
        var status = trailers.NonValidated.Contains(GrpcProtocol.StatusTrailer)
            ? ReadStatus(trailers)
            : new Status(StatusCode.Internal, "The response ended without grpc-status.");
        Finish(status, null, fromServer: true, trailers);
        var final = _status!.Value;
        return final.StatusCode == StatusCode.OK ? null : throw new RpcException(final, Trailers);
    }

    public async Task<T> ReadSingleResponseAsync<T>()
        where T : class
    {
        var message = await ReadNextAsync(CancellationToken.None).ConfigureAwait(false);
        if (message is null)
        {
            Finish(new Status(StatusCode.Internal, "The server returned OK without a response message."), new Metadata(), fromServer: false);
            throw new RpcException(_status!.Value, Trailers);
        }

        if (await ReadNextAsync(CancellationToken.None).ConfigureAwait(false) is not null)
        {
            Finish(new Status(StatusCode.Internal, "The server returned more than one response message for a single-response method."), new Metadata(), fromServer: false);
            throw new RpcException(_status!.Value, Trailers);
        }

        return (T)message;
    }

    public async Task WriteAsync(IMessage message, CancellationToken cancellationToken)
    {
        if (_requestCompleted)
        {
            throw new InvalidOperationException("The request stream is already complete; no more messages can be written.");
        }

        if (_writePending)
        {
            throw new InvalidOperationException("Only one write can be pending at a time.");
        }

        _writePending = true;
        try
        {
            var content = _content ?? throw new InvalidOperationException("This call has no request stream.");
            if (_status is null && !content.StreamTask.IsCompleted)
            {
                await Task.WhenAny(content.StreamTask, _finished.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            ThrowIfFinished();
            var frame = MessageWriter.ToArray(message, _compressRequests, _channel.Options.MaxSendMessageSize);
            var stream = await content.StreamTask.ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The stream failed under us; the server's status (if it sent one) explains why.
                await _sendTask.ConfigureAwait(false);
                if (_status is null)
                {
                    Finish(MapException(ex), new Metadata(), fromServer: false);
                }

                ThrowIfFinished();
                throw;
            }
        }
        catch (RpcException ex) when (_status is null)
        {
            Finish(ex.Status, new Metadata(), fromServer: false);
            throw;
        }
        finally
        {
            _writePending = false;
        }
    }

    public Task CompleteRequestAsync()
    {
        _requestCompleted = true;
        _content?.Complete();
        return Task.CompletedTask;
    }

    private void ThrowIfFinished()
    {
        if (_status is { } status)
        {
            if (status.StatusCode == StatusCode.OK)
            {
                throw new InvalidOperationException("The call is complete; no more messages can be written.");
            }

            throw new RpcException(status, Trailers);
        }
    }

    private void CancelLocally() =>
        Finish(new Status(StatusCode.Cancelled, "Call canceled by the client."), new Metadata(), fromServer: false);

    private void Finish(Status status, Metadata? trailers, bool fromServer, HttpHeaders? trailerSource = null)
    {
        if (Interlocked.Exchange(ref _finishedFlag, 1) != 0)
        {
            return;
        }

        _trailers = trailers;
        _trailerSource = trailerSource;
        _status = status;
        if (!_headersReady.Task.IsCompleted)
        {
            _headersReady.TrySetException(new RpcException(status, Trailers));
            _headersReady.Task.Exception?.Handle(static _ => true);
        }
        _content?.Complete();
        if (!fromServer || status.StatusCode != StatusCode.OK)
        {
            // A locally settled call (or a server error while we may still be sending) resets the HTTP/2 stream.
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently.
            }
        }

        if (_context is { } context)
        {
            var interceptors = _channel.Options.Interceptors;
            for (var i = 0; i < interceptors.Count; i++)
            {
                try
                {
                    interceptors[i].OnCallCompleted(context, status);
                }
#pragma warning disable CA1031 // An observer's fault must not change the call's outcome.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }

        _finished.TrySetResult(status);
        if (fromServer)
        {
            _response?.Dispose();
        }
    }

    private Status MapException(Exception ex)
    {
        if (_status is { } settled)
        {
            return settled;
        }

        if (_disposed || _options.CancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "Call canceled by the client.");
        }

        if (_options.Deadline is { } deadline && DateTime.UtcNow >= deadline.ToUniversalTime())
        {
            return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                // PROTOCOL-HTTP2 "Errors": RST_STREAM codes map to statuses.
                return protocol.ErrorCode switch
                {
                    0x7 => new Status(StatusCode.Unavailable, "The server refused the stream (REFUSED_STREAM)."),
                    0x8 => new Status(StatusCode.Cancelled, "The server cancelled the stream (CANCEL)."),
                    0xB => new Status(StatusCode.ResourceExhausted, "The server reset the stream (ENHANCE_YOUR_CALM)."),
                    0xC => new Status(StatusCode.PermissionDenied, "The server reset the stream (INADEQUATE_SECURITY)."),
                    _ => new Status(StatusCode.Internal, "The stream was reset with HTTP/2 error 0x" + protocol.ErrorCode.ToString("X", CultureInfo.InvariantCulture) + "."),
                };
            }

            if (inner is AuthenticationException)
            {
                return new Status(StatusCode.Unavailable, "The TLS handshake failed: " + inner.Message);
            }
        }

        return ex switch
        {
            HttpRequestException http when http.Message.Contains("HTTP/2", StringComparison.Ordinal) =>
                new Status(StatusCode.Unavailable, "The server did not complete the HTTP/2 handshake (is a client certificate required or rejected?): " + http.Message),
            HttpRequestException http => new Status(StatusCode.Unavailable, "Error connecting to the server: " + http.Message),
            IOException io => new Status(StatusCode.Unavailable, "The connection failed: " + io.Message),
            OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled."),
            _ => new Status(StatusCode.Internal, "The call failed: " + ex.GetType().Name + ": " + ex.Message),
        };
    }

    private static Status ReadStatus(HttpHeaders headers)
    {
        var code = StatusCode.Unknown;
        if (headers.NonValidated.TryGetValues(GrpcProtocol.StatusTrailer, out var values))
        {
            var text = values.ToString();
            code = text == "0" ? StatusCode.OK
                : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 16 ? (StatusCode)number
                : StatusCode.Unknown;
        }

        var detail = headers.NonValidated.TryGetValues(GrpcProtocol.MessageTrailer, out var messages) ? GrpcProtocol.PercentDecode(messages.ToString()) : string.Empty;
        return new Status(code, detail);
    }

    private static Metadata ReadMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers.NonValidated)
        {
            var key = header.Key.ToLowerInvariant();
            if (GrpcProtocol.IsReservedHeader(key) || key == "date" || key == "server")
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                GrpcProtocol.TryAddReceivedHeader(metadata, key, value);
            }
        }

        return metadata;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CancelLocally();
        _userCancellation.Dispose();
        _deadlineCts?.Dispose();
        _response?.Dispose();
    }
}
