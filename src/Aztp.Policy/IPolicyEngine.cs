namespace Aztp.Policy;

/// <summary>
/// Something that decides requests: the in-process Cedar engine (<see cref="PolicyStore"/>) or a remote decision
/// point (<see cref="OpaPolicyEngine"/>). Implementations fail closed: any internal failure is a deny, never an allow.
/// </summary>
public interface IPolicyEngine
{
    /// <summary>Decides one request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the decision (the call is then not authorized).</param>
    ValueTask<AuthorizationResponse> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken = default);
}
