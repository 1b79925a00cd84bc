using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Policy;

namespace Aztp.Rpc.Internal;

/// <summary>
/// The server chain of one secured call: peer identity (verified client SVID, cached per connection, or a JWT-SVID
/// bearer when enabled) → Cedar authorization → handler, with identity, policy and rpc events.
/// </summary>
internal sealed class ServerSecurityInterceptor(
    AgentDefinition agent,
    SecuredAgentCore core) : ServerInterceptor
{
    private const string GenericDenied = "permission denied";
    private const string GenericUnauthenticated = "peer identity not verified";

    // One verified identity per TLS connection: Kestrel hands every call on a connection the same certificate object.
    private readonly ConditionalWeakTable<X509Certificate2, SpiffeId> _connections = [];

    public override async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> continuation)
    {
        var start = Stopwatch.GetTimestamp();
        var monitor = core.Monitor;
        var events = monitor.Events;
        var policy = agent.PolicyFor(context.Method);
        var ip = context.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address) : null;
        var ipText = ip?.ToString();
        using var activity = Trace.StartServer(context.RequestHeaders.GetValue(Trace.Header));

        var caller = await ResolveCallerAsync(context, ipText, policy.Action).ConfigureAwait(false);
        if (caller is null)
        {
            await monitor.EmitAsync(events.RpcFailed(policy.Action, null, (int)StatusCode.Unauthenticated, nameof(StatusCode.Unauthenticated),
                Trace.Elapsed(start), "server"), CancellationToken.None).ConfigureAwait(false);
            throw new RpcException(new Status(StatusCode.Unauthenticated, GenericUnauthenticated));
        }

        var callerId = caller.ToString();
        await monitor.EmitAsync(events.RpcRequestReceived(policy.Action, callerId, ipText), CancellationToken.None).ConfigureAwait(false);

        if (!await AuthorizeAsync(context, caller, policy, ip, activity, context.CancellationToken).ConfigureAwait(false))
        {
            await monitor.EmitAsync(events.RpcDenied(policy.Action, callerId, ipText, Trace.Elapsed(start)), CancellationToken.None).ConfigureAwait(false);
            throw new RpcException(new Status(StatusCode.PermissionDenied, GenericDenied));
        }

        try
        {
            await continuation(context).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            await EmitFailedAsync(policy.Action, callerId, ipText, ex.StatusCode, start).ConfigureAwait(false);
            throw;
        }
        catch (Exception)
        {
            await EmitFailedAsync(policy.Action, callerId, ipText, StatusCode.Internal, start).ConfigureAwait(false);
            throw;
        }

        if (context.Status.StatusCode != StatusCode.OK)
        {
            await EmitFailedAsync(policy.Action, callerId, ipText, context.Status.StatusCode, start).ConfigureAwait(false);
        }
        else
        {
            await monitor.EmitAsync(events.RpcResponseSent(policy.Action, callerId, ipText, Trace.Elapsed(start)), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private ValueTask EmitFailedAsync(string action, string caller, string? ip, StatusCode code, long start) =>
        core.Monitor.EmitAsync(core.Monitor.Events.RpcFailed(action, caller, (int)code, code.ToString(), Trace.Elapsed(start), "server",
            EventActor.Agent(caller, ip)), CancellationToken.None);

    private async ValueTask<SpiffeId?> ResolveCallerAsync(ServerCallContext context, string? ip, string action)
    {
        var certificate = context.ClientCertificate;
        if (certificate is null)
        {
            return null;
        }

        if (!_connections.TryGetValue(certificate, out var peer))
        {
            // First call on this connection: the handshake already validated the chain; confirm and remember the ID.
            var result = core.X509Validator.Validate(certificate);
            if (!result.IsValid)
            {
                await core.Monitor.EmitAsync(core.Monitor.Events.IdentityFailed(result.Reason, result.SpiffeId?.ToString(), ip, result.Message),
                    CancellationToken.None).ConfigureAwait(false);
                return null;
            }
            peer = result.SpiffeId!;
            _connections.AddOrUpdate(certificate, peer);
            await core.Monitor.EmitAsync(core.Monitor.Events.IdentityVerified(peer.ToString(), ip, action), CancellationToken.None).ConfigureAwait(false);
        }

        if (core.AcceptJwtSvid && context.RequestHeaders.GetValue("authorization") is { } authorization)
        {
            // A proxy that ends the caller's TLS relays the caller's JWT-SVID; the token's subject is the principal.
            const string Prefix = "Bearer ";
            var token = authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? authorization[Prefix.Length..].Trim() : null;
            var jwt = core.JwtValidator.Validate(token, core.SpiffeId.ToString());
            if (!jwt.IsValid)
            {
                await core.Monitor.EmitAsync(core.Monitor.Events.IdentityFailed(jwt.Reason, jwt.SpiffeId?.ToString(), ip, jwt.Message),
                    CancellationToken.None).ConfigureAwait(false);
                return null;
            }
            await core.Monitor.EmitAsync(core.Monitor.Events.IdentityVerified(jwt.SpiffeId!.ToString(), ip, action), CancellationToken.None).ConfigureAwait(false);
            return jwt.SpiffeId;
        }

        return peer;
    }

    private async ValueTask<bool> AuthorizeAsync(ServerCallContext context, SpiffeId caller, MethodPolicy policy, IPAddress? ip,
        Activity activity, CancellationToken cancellationToken)
    {
        try
        {
            var fields = new List<KeyValuePair<string, object?>>(8)
            {
                new("trustDomain", caller.TrustDomain.Name),
                new("method", context.Method),
                new("time", core.TimeProvider.GetUtcNow()),
                new("traceId", activity.TraceId.ToHexString()),
            };
            if (ip is not null)
            {
                fields.Add(new("ip", ip));
            }
            if (policy.Attributes is { } expose && context.Request is { } message)
            {
                foreach (var attribute in expose(message))
                {
                    fields.Add(attribute);
                }
            }
            var request = AuthorizationRequest.ForAgentCall(caller.ToString(), policy.Action, core.SpiffeId.ToString(), CedarContext.FromValues(fields));
            var response = await core.Engine.AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
            if (core.Engine is not PolicyStore)
            {
                await core.Monitor.EmitAsync(PolicyStore.EvaluatedEvent(core.Monitor.Events, request, response), CancellationToken.None).ConfigureAwait(false);
            }
            return response.IsAllowed;
        }
#pragma warning disable CA1031 // Fail closed: any engine or context error is a deny, reported as such.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await core.Monitor.EmitAsync(core.Monitor.Events.PolicyEvaluated(false, caller.ToString(), policy.Action,
                "policy evaluation error (" + ex.GetType().Name + "); denied", [], ["engine"], core.SpiffeId.ToString()),
                CancellationToken.None).ConfigureAwait(false);
            return false;
        }
    }
}
