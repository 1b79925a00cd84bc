namespace Aztp.Identity;

/// <summary>Supplies JWT-SVIDs for this workload (the key directory mints them locally; the Workload API fetches them).</summary>
public interface IJwtSvidSource
{
    /// <summary>Gets a JWT-SVID for this workload with the given audience.</summary>
    /// <param name="audience">One or more audiences.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    ValueTask<JwtSvid> FetchJwtSvidAsync(IReadOnlyList<string> audience, CancellationToken cancellationToken = default);
}
