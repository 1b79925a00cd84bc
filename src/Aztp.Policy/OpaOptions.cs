namespace Aztp.Policy;

/// <summary>Settings of the remote OPA decision point (<see cref="OpaPolicyEngine"/>).</summary>
public sealed class OpaOptions
{
    /// <summary>OPA's base address, e.g. <c>http://localhost:8181</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The decision document path under <c>/v1/data/</c>, e.g. <c>aztp/authz</c> (posts to <c>/v1/data/aztp/authz</c>).
    /// Default <c>aztp/authz/allow</c>.
    /// </summary>
    public string DecisionPath { get; set; } = "aztp/authz/allow";

    /// <summary>Time allowed for one HTTP attempt; past it the attempt fails. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Extra attempts after a transport error, a timeout or a 5xx answer (not after a 4xx). Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Pause before each retry (doubled every time). Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many decisions to remember (identical inputs only); 0 disables the cache. Default 1024.</summary>
    public int CacheSize { get; set; } = 1024;

    /// <summary>How long a cached decision is reused. Default 5 s.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("OpaOptions.BaseAddress must be an absolute http(s) URI such as http://localhost:8181.", nameof(BaseAddress));
        }
        if (string.IsNullOrWhiteSpace(DecisionPath) || DecisionPath.Contains("..", StringComparison.Ordinal) || DecisionPath.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException("OpaOptions.DecisionPath must be a document path such as aztp/authz/allow.", nameof(DecisionPath));
        }
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("OpaOptions.Timeout must be between 0 and 1 minute.", nameof(Timeout));
        }
        if (MaxRetries is < 0 or > 10)
        {
            throw new ArgumentException("OpaOptions.MaxRetries must be between 0 and 10.", nameof(MaxRetries));
        }
        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException("OpaOptions.RetryDelay must be between 0 and 10 seconds.", nameof(RetryDelay));
        }
        if (CacheSize < 0 || CacheTtl < TimeSpan.Zero)
        {
            throw new ArgumentException("OpaOptions.CacheSize and CacheTtl must not be negative.", nameof(CacheSize));
        }
    }
}
