using System.Text.Json.Nodes;

namespace Aztp.Identity.WorkloadApi;

/// <summary>The agent's answer to ValidateJWTSVID: the token is valid for the audience.</summary>
public sealed class WorkloadApiJwtValidation
{
    /// <summary>Creates a validation answer.</summary>
    public WorkloadApiJwtValidation(SpiffeId spiffeId, JsonObject claims)
    {
        ArgumentNullException.ThrowIfNull(spiffeId);
        ArgumentNullException.ThrowIfNull(claims);
        SpiffeId = spiffeId;
        Claims = claims;
    }

    /// <summary>The token's subject.</summary>
    public SpiffeId SpiffeId { get; }

    /// <summary>The token's claims as the agent returned them.</summary>
    public JsonObject Claims { get; }
}
