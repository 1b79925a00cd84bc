namespace Aztp.Grpc;

/// <summary>Options of one client call: metadata, deadline, cancellation and compression.</summary>
public readonly record struct CallOptions
{
    /// <summary>Creates call options.</summary>
    /// <param name="headers">Custom request metadata, or <see langword="null"/>.</param>
    /// <param name="deadline">The UTC instant after which the call fails with DEADLINE_EXCEEDED, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call (the server sees CANCELLED).</param>
    public CallOptions(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        Headers = headers;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>Custom request metadata, or <see langword="null"/>.</summary>
    public Metadata? Headers { get; init; }

    /// <summary>The UTC deadline, or <see langword="null"/> for none. Sent as <c>grpc-timeout</c> and enforced locally.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>Cancels the call; the stream is reset and the server's handler sees cancellation.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// The message encoding for requests of this call (<c>gzip</c> or <c>identity</c>), or <see langword="null"/> to use
    /// <see cref="GrpcChannelOptions.RequestCompression"/>.
    /// </summary>
    public string? RequestCompression { get; init; }
}
