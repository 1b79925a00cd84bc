namespace Aztp.Policy;

/// <summary>
/// Something that decides requests: the in-process Cedar engine (<see cref="PolicyStore"/>) or a remote decision
/// point (<see cref="OpaPolicyEngine"/>). Implementations fail closed: any internal failure is a deny, never an allow.
/// </summary>
public interface IPolicyEngine
{
    /// <summary>Decides one request.</summary>
    /// <param name="request">The request. An engine that sends or inspects the context reads
    /// <see cref="AuthorizationRequest.Context"/>, which builds a lazy context (<see cref="CedarContextSource"/>); an
    /// exception from building it propagates, and the caller denies.</param>
    /// <param name="cancellationToken">Cancels the decision (the call is then not authorized).</param>
    ValueTask<AuthorizationResponse> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken = default);
}
