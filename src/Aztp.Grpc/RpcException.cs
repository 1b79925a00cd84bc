namespace Aztp.Grpc;

/// <summary>
/// Thrown when a call ends with a status other than <see cref="StatusCode.OK"/>. Handlers and server interceptors may
/// throw it to end a call with a chosen status and trailers.
/// </summary>
public class RpcException : Exception
{
    /// <summary>Creates an exception for a status, with empty trailers.</summary>
    /// <param name="status">The status of the call.</param>
    public RpcException(Status status)
        : this(status, new Metadata())
    {
    }

    /// <summary>Creates an exception for a status and trailers.</summary>
    /// <param name="status">The status of the call.</param>
    /// <param name="trailers">The trailing metadata.</param>
    public RpcException(Status status, Metadata trailers)
        : base(status.ToString())
    {
        ArgumentNullException.ThrowIfNull(trailers);
        Status = status;
        Trailers = trailers;
    }

    /// <summary>Creates an exception for a status, trailers and a custom message.</summary>
    /// <param name="status">The status of the call.</param>
    /// <param name="trailers">The trailing metadata.</param>
    /// <param name="message">The exception message.</param>
    public RpcException(Status status, Metadata trailers, string message)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        Status = status;
        Trailers = trailers;
    }

    /// <summary>Creates an exception with <see cref="StatusCode.Unknown"/> (for serializers and tooling).</summary>
    public RpcException()
        : this(new Status(StatusCode.Unknown, null))
    {
    }

    /// <summary>Creates an exception with <see cref="StatusCode.Unknown"/> and a message.</summary>
    /// <param name="message">The exception message, also used as the status detail.</param>
    public RpcException(string message)
        : this(new Status(StatusCode.Unknown, message), new Metadata(), message)
    {
    }

    /// <summary>Creates an exception with <see cref="StatusCode.Unknown"/>, a message and an inner exception.</summary>
    /// <param name="message">The exception message, also used as the status detail.</param>
    /// <param name="innerException">The cause.</param>
    public RpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new Status(StatusCode.Unknown, message);
        Trailers = new Metadata();
    }

    /// <summary>The status of the call.</summary>
    public Status Status { get; }

    /// <summary>The status code of the call.</summary>
    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>The trailing metadata of the call.</summary>
    public Metadata Trailers { get; }
}
