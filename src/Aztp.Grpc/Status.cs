namespace Aztp.Grpc;

/// <summary>The outcome of a gRPC call: a <see cref="StatusCode"/> and an optional human-readable detail.</summary>
public readonly record struct Status
{
    /// <summary>The successful status.</summary>
    public static readonly Status DefaultSuccess = new(StatusCode.OK, string.Empty);

    /// <summary>Creates a status.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="detail">The detail message; <see langword="null"/> becomes an empty string.</param>
    public Status(StatusCode statusCode, string? detail)
    {
        StatusCode = statusCode;
        Detail = detail ?? string.Empty;
    }

    /// <summary>The status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The detail message (<c>grpc-message</c>), never <see langword="null"/>.</summary>
    public string Detail { get; }

    /// <inheritdoc />
    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}
