using Aztp.Grpc;

namespace Aztp.Identity.WorkloadApi;

/// <summary>A Workload API call failed, or the agent's answer could not be used.</summary>
public sealed class WorkloadApiException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public WorkloadApiException()
        : this("the Workload API call failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public WorkloadApiException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    public WorkloadApiException(string message, Exception? innerException)
        : this(StatusCode.Unknown, message, innerException)
    {
    }

    /// <summary>Creates an exception for a gRPC status.</summary>
    /// <param name="statusCode">The status the agent answered, or <see cref="StatusCode.InvalidArgument"/> for a malformed answer.</param>
    /// <param name="message">What went wrong and what to do about it.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public WorkloadApiException(StatusCode statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The gRPC status of the failed call.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>
    /// <see langword="true"/> when the agent answered PERMISSION_DENIED: it knows of no registration entry matching this
    /// workload ("no identity issued"). Create an entry with <c>spire-server entry create</c>.
    /// </summary>
    public bool IsNoIdentityIssued => StatusCode == StatusCode.PermissionDenied;
}
