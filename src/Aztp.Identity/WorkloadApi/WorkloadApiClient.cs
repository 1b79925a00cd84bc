using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Aztp.Grpc;
using Aztp.Identity.WorkloadApi.Internal;
using Aztp.Identity.WorkloadApi.Protos;
using Google.Protobuf;

namespace Aztp.Identity.WorkloadApi;

/// <summary>
/// A client of the SPIFFE Workload API (a SPIRE agent): X.509-SVIDs and bundles as streams of updates, JWT-SVIDs,
/// JWT bundles and JWT validation. Every call carries the <c>workload.spiffe.io: true</c> security header.
/// Failed calls throw <see cref="WorkloadApiException"/> with the gRPC status.
/// </summary>
public sealed class WorkloadApiClient : IAsyncDisposable, IDisposable
{
    private readonly GrpcChannel _channel;

    /// <summary>Creates a client; nothing is connected until the first call.</summary>
    /// <param name="options">The address; <see langword="null"/> reads <c>SPIFFE_ENDPOINT_SOCKET</c>.</param>
    /// <exception cref="ArgumentException">No address is configured, or it is not <c>unix:///path</c> or <c>tcp://ip:port</c>.</exception>
    public WorkloadApiClient(WorkloadApiClientOptions? options = null)
    {
        options ??= new WorkloadApiClientOptions();
        var endpoint = WorkloadApiEndpoint.Resolve(options.Address);
        Endpoint = endpoint.ToString();
        var channelOptions = new GrpcChannelOptions { MaxReceiveMessageSize = options.MaxReceiveMessageSize };
        if (endpoint.UnixSocketPath is { } path)
        {
            channelOptions.UnixDomainSocketPath = path;
            _channel = GrpcChannel.ForAddress("http://localhost", channelOptions);
        }
        else
        {
            _channel = GrpcChannel.ForAddress(new UriBuilder("http", endpoint.TcpEndPoint!.Address.ToString(), endpoint.TcpEndPoint.Port).Uri, channelOptions);
        }
    }

    /// <summary>The endpoint in use, as <c>unix:///path</c> or <c>tcp://ip:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Streams X.509 contexts: the first arrives when the agent has attested the workload, then one per change. The caller
    /// owns the SVIDs it receives and disposes them.
    /// </summary>
    /// <exception cref="WorkloadApiException">The call failed (PERMISSION_DENIED: no identity issued) or an answer was malformed.</exception>
    public async IAsyncEnumerable<X509Context> WatchX509ContextsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _channel.AsyncServerStreamingCall(WorkloadApiMethods.FetchX509Svid, new X509SVIDRequest(), Options(null, cancellationToken));
        while (await MoveNextAsync("FetchX509SVID", call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            yield return WorkloadApiConvert.ToContext(call.ResponseStream.Current);
        }

        throw StreamEnded("FetchX509SVID");
    }

    /// <summary>Returns the first X.509 context (all SVIDs and bundles; the caller disposes the SVIDs) and closes the stream.</summary>
    /// <exception cref="WorkloadApiException">The call failed or the answer was malformed.</exception>
    public async Task<X509Context> FetchX509ContextAsync(CancellationToken cancellationToken = default)
    {
        await foreach (var context in WatchX509ContextsAsync(cancellationToken).ConfigureAwait(false))
        {
            return context;
        }

        throw StreamEnded("FetchX509SVID");
    }

    /// <summary>Streams the X.509 bundles of every trust domain (own and federated), one list per change.</summary>
    /// <exception cref="WorkloadApiException">The call failed or an answer was malformed.</exception>
    public async IAsyncEnumerable<IReadOnlyList<TrustBundle>> WatchX509BundlesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _channel.AsyncServerStreamingCall(WorkloadApiMethods.FetchX509Bundles, new X509BundlesRequest(), Options(null, cancellationToken));
        while (await MoveNextAsync("FetchX509Bundles", call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            yield return WorkloadApiConvert.ToBundles(call.ResponseStream.Current);
        }

        throw StreamEnded("FetchX509Bundles");
    }

    /// <summary>Streams the JWT bundles (JWT authorities per trust domain), one list per change.</summary>
    /// <exception cref="WorkloadApiException">The call failed or an answer was malformed.</exception>
    public async IAsyncEnumerable<IReadOnlyList<TrustBundle>> WatchJwtBundlesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _channel.AsyncServerStreamingCall(WorkloadApiMethods.FetchJwtBundles, new JWTBundlesRequest(), Options(null, cancellationToken));
        while (await MoveNextAsync("FetchJWTBundles", call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            yield return WorkloadApiConvert.ToJwtBundles(call.ResponseStream.Current);
        }

        throw StreamEnded("FetchJWTBundles");
    }

    /// <summary>Fetches JWT-SVIDs for an audience.</summary>
    /// <param name="audience">One or more audiences; the first is the token's primary audience.</param>
    /// <param name="spiffeId">Only this identity; <see langword="null"/> for every identity of the workload.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="WorkloadApiException">The call failed or the answer was malformed.</exception>
    public async Task<IReadOnlyList<JwtSvid>> FetchJwtSvidsAsync(IReadOnlyList<string> audience, SpiffeId? spiffeId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audience);
        if (audience.Count == 0 || audience.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("At least one non-empty audience is required.", nameof(audience));
        }

        var request = new JWTSVIDRequest { SpiffeId = spiffeId?.ToString() ?? string.Empty };
        request.Audience.AddRange(audience);
        var response = await UnaryAsync(WorkloadApiMethods.FetchJwtSvid, request, cancellationToken).ConfigureAwait(false);
        if (response.Svids.Count == 0)
        {
            throw WorkloadApiConvert.Malformed("the JWTSVIDResponse carries no SVID");
        }

        var list = new List<JwtSvid>(response.Svids.Count);
        foreach (var svid in response.Svids)
        {
            list.Add(WorkloadApiConvert.ToJwtSvid(svid));
        }

        return list;
    }

    /// <summary>Asks the agent to validate a JWT-SVID for an audience.</summary>
    /// <exception cref="WorkloadApiException">The token is invalid (INVALID_ARGUMENT) or the call failed.</exception>
    public async Task<WorkloadApiJwtValidation> ValidateJwtSvidAsync(string token, string audience, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var response = await UnaryAsync(WorkloadApiMethods.ValidateJwtSvid, new ValidateJWTSVIDRequest { Svid = token, Audience = audience }, cancellationToken)
            .ConfigureAwait(false);
        if (!SpiffeId.TryParse(response.SpiffeId, out var id))
        {
            throw WorkloadApiConvert.Malformed("the ValidateJWTSVIDResponse has an invalid spiffe_id");
        }

        var claims = response.Claims is null ? [] : JsonNode.Parse(JsonFormatter.Default.Format(response.Claims)) as JsonObject ?? [];
        return new WorkloadApiJwtValidation(id, claims);
    }

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _channel.DisposeAsync();

    private static CallOptions Options(DateTime? deadline, CancellationToken cancellationToken) =>
        new(new Metadata { { WorkloadApiMethods.SecurityHeader, "true" } }, deadline, cancellationToken);

    private async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        try
        {
            using var call = _channel.AsyncUnaryCall(method, request, Options(null, cancellationToken));
            return await call.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw Translate(method.Name, e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
        {
            throw new WorkloadApiException(StatusCode.Unavailable, $"Workload API {method.Name}: cannot reach {Endpoint}: {e.Message}", e);
        }
    }

    private async Task<bool> MoveNextAsync<T>(string rpc, IAsyncStreamReader<T> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw Translate(rpc, e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
        {
            throw new WorkloadApiException(StatusCode.Unavailable, $"Workload API {rpc}: cannot reach {Endpoint}: {e.Message}", e);
        }
    }

    private WorkloadApiException Translate(string what, RpcException e)
    {
        var code = e.Status.StatusCode;
        if (code == StatusCode.Cancelled)
        {
            throw new OperationCanceledException("the Workload API call was cancelled", e);
        }

        var message = code switch
        {
            StatusCode.PermissionDenied =>
                $"Workload API {what}: no identity issued — the agent at {Endpoint} has no registration entry matching this workload ({e.Status.Detail}). Create one with 'spire-server entry create'.",
            StatusCode.Unavailable => $"Workload API {what}: the agent at {Endpoint} is unavailable ({e.Status.Detail}).",
            _ => $"Workload API {what}: {code} ({e.Status.Detail}).",
        };
        return new WorkloadApiException(code, message, e);
    }

    private WorkloadApiException StreamEnded(string rpc) =>
        new(StatusCode.Unavailable, $"Workload API {rpc}: the agent at {Endpoint} closed the stream.");
}
