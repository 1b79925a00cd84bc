using Aztp.Core;
using Aztp.Identity;
using Aztp.Policy;

namespace Aztp.Rpc.Internal;

/// <summary>The shared, long-lived state of a secured agent that interceptors and TLS callbacks read.</summary>
internal sealed class SecuredAgentCore(
    SecurityMonitor monitor,
    AgentIdentity identity,
    IPolicyEngine engine,
    X509SvidValidator x509Validator,
    JwtSvidValidator jwtValidator,
    bool acceptJwtSvid,
    TimeProvider timeProvider)
{
    public SecurityMonitor Monitor { get; } = monitor;
    public AgentIdentity Identity { get; } = identity;
    public IPolicyEngine Engine { get; } = engine;
    public X509SvidValidator X509Validator { get; } = x509Validator;
    public JwtSvidValidator JwtValidator { get; } = jwtValidator;
    public bool AcceptJwtSvid { get; } = acceptJwtSvid;
    public TimeProvider TimeProvider { get; } = timeProvider;
    public SpiffeId SpiffeId => Identity.GetX509Svid().Id;
}
