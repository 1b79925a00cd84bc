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
    // With it, the connection's per-call constants: the caller's ID text and Cedar principal, and its address.
    private readonly ConditionalWeakTable<X509Certificate2, Peer> _connections = [];
    private ResourceEntity? _resource;

    public override async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> continuation)
    {
        var start = Stopwatch.GetTimestamp();
        var monitor = core.Monitor;
        var events = monitor.Events;
        var policy = agent.PolicyFor(context.Method);
        // One lookup of the connection's verified peer serves both the address and the identity.
        var known = context.ClientCertificate is { } certificate && _connections.TryGetValue(certificate, out var found) ? found : null;
        var (ip, ipText) = Address(context, known);
        // The trace id text is made only if something reads it (an event handler, or a policy reading context.traceId).
        using var activity = Trace.StartServerTrace(context.GetRequestHeader(Trace.Header), out var eventTrace);

        var caller = await ResolveCallerAsync(context, known, ipText, policy.Action).ConfigureAwait(false);
        if (caller is null)
        {
            await monitor.EmitAsync(events.RpcFailed(policy.Action, null, (int)StatusCode.Unauthenticated, nameof(StatusCode.Unauthenticated),
                Trace.Elapsed(start), "server"), CancellationToken.None).ConfigureAwait(false);
            throw new RpcException(new Status(StatusCode.Unauthenticated, GenericUnauthenticated));
        }

        var callerId = caller.IdText;
        await monitor.EmitAsync(events.RpcRequestReceived(policy.Action, callerId, ipText), CancellationToken.None).ConfigureAwait(false);

        if (!await AuthorizeAsync(context, caller, policy, ip, (object?)activity ?? eventTrace!, context.CancellationToken).ConfigureAwait(false))
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

    /// <summary>The caller's address (IPv4-mapped IPv6 shown as IPv4), its text reused for the connection's calls.</summary>
    private static (IPAddress? Ip, string? Text) Address(ServerCallContext context, Peer? known)
    {
        var address = context.RemoteIpAddress;
        if (address is null)
        {
            return (null, null);
        }
        if (known?.RemoteAddress is { } remembered && remembered.Equals(address))
        {
            return (known.Ip, known.IpText);
        }
        var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return (ip, ip.ToString());
    }

    private async ValueTask<Peer?> ResolveCallerAsync(ServerCallContext context, Peer? known, string? ip, string action)
    {
        var certificate = context.ClientCertificate;
        if (certificate is null)
        {
            return null;
        }

        var peer = known;
        if (peer is null)
        {
            // First call on this connection: the handshake already validated the chain; confirm and remember the ID.
            var result = core.X509Validator.Validate(certificate);
            if (!result.IsValid)
            {
                await core.Monitor.EmitAsync(core.Monitor.Events.IdentityFailed(result.Reason, result.SpiffeId?.ToString(), ip, result.Message),
                    CancellationToken.None).ConfigureAwait(false);
                return null;
            }
            var remote = context.RemoteIpAddress;
            peer = new Peer(result.SpiffeId!, remote, remote is null ? null : (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote), ip);
            _connections.AddOrUpdate(certificate, peer);
            await core.Monitor.EmitAsync(core.Monitor.Events.IdentityVerified(peer.IdText, ip, action), CancellationToken.None).ConfigureAwait(false);
        }

        if (core.AcceptJwtSvid && context.GetRequestHeader("authorization") is { } authorization)
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
            return new Peer(jwt.SpiffeId, null, null, null);
        }

        return peer;
    }

    private async ValueTask<bool> AuthorizeAsync(ServerCallContext context, Peer caller, MethodPolicy policy, IPAddress? ip,
        object trace, CancellationToken cancellationToken)
    {
        try
        {
            // The context is built only when read: by the Cedar store when the snapshot it took reads context, by any
            // other engine when it reads request.Context (OPA always does). Until then the call's facts stay as they are.
            var resource = CurrentResource();
            var request = new AuthorizationRequest(caller.Principal, policy.ActionUid, resource.Uid,
                new CallContextSource(core.TimeProvider, context, caller, policy, ip, trace));
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
            await core.Monitor.EmitAsync(core.Monitor.Events.PolicyEvaluated(false, caller.IdText, policy.Action,
                "policy evaluation error (" + ex.GetType().Name + "); denied", [], ["engine"], core.SpiffeId.ToString()),
                CancellationToken.None).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// One call's facts, turned into its Cedar context only when the engine asks: the documented context
    /// (docs/rpc.md) trustDomain, method, time, traceId, ip when known, then the attributes the method exposes, in that
    /// order. Values shared by calls (the caller's trust domain and address, the method) were converted once per
    /// connection or method; only time and trace id are new per call. Exceptions (an expose callback that throws, a
    /// value Cedar cannot represent) propagate through the engine to <see cref="AuthorizeAsync"/>, which denies.
    /// </summary>
    private sealed class CallContextSource(TimeProvider time, ServerCallContext call, Peer caller, MethodPolicy policy,
        IPAddress? ip, object trace) : CedarContextSource
    {
        protected override CedarContext BuildContext()
        {
            var exposed = policy.Attributes is { } expose && call.Request is { } message ? expose(message) : null;
            var extra = exposed is ICollection<KeyValuePair<string, object?>> known ? known.Count : 0;
            // The policy was looked up by this method name, so the names are equal whenever it is bound to one.
            var method = policy.MethodValue is { } bound && string.Equals(policy.FullMethod, call.Method, StringComparison.Ordinal)
                ? bound : CedarValue.String(call.Method);
            var fields = new CedarContextBuilder((ip is null ? 4 : 5) + extra)
                .Add("trustDomain", caller.TrustDomainValue)
                .Add("method", method)
                .Add("time", time.GetUtcNow())
                .Add("traceId", Trace.TraceIdOf(trace as Activity, trace as EventTrace));
            if (ip is not null)
            {
                fields.Add("ip", caller.IpValueFor(ip));
            }
            if (exposed is not null)
            {
                foreach (var (name, value) in exposed)
                {
                    fields.Add(name, value);
                }
            }
            return fields.Build();
        }
    }

    /// <summary>This agent as the Cedar resource, rebuilt only when its SVID's ID changes.</summary>
    private ResourceEntity CurrentResource()
    {
        var id = core.SpiffeId;
        var current = Volatile.Read(ref _resource);
        if (current is not null && ReferenceEquals(current.Id, id))
        {
            return current;
        }
        current = new ResourceEntity(id, new EntityUid(AuthorizationRequest.AgentType, id.ToString()));
        Volatile.Write(ref _resource, current);
        return current;
    }

    private sealed record ResourceEntity(SpiffeId Id, EntityUid Uid);

    /// <summary>A verified caller and what every call on its connection reuses.</summary>
    private sealed class Peer(SpiffeId id, IPAddress? remoteAddress, IPAddress? ip, string? ipText)
    {
        public SpiffeId Id { get; } = id;

        public string IdText { get; } = id.ToString();

        public string TrustDomain { get; } = id.TrustDomain.Name;

        public EntityUid Principal { get; } = new(AuthorizationRequest.AgentType, id.ToString());

        /// <summary>The trust domain as the context's <c>trustDomain</c> value.</summary>
        public CedarValue TrustDomainValue { get; } = CedarValue.String(id.TrustDomain.Name);

        /// <summary>The connection's address as the context's <c>ip</c> value, converted once (null if it has none).</summary>
        private CedarValue? IpValue { get; } = TryConvert(ip);

        /// <summary>The connection's address as Kestrel reports it, and as shown in events and given to policy.</summary>
        public IPAddress? RemoteAddress { get; } = remoteAddress;

        public IPAddress? Ip { get; } = ip;

        public string? IpText { get; } = ipText;

        /// <summary>The context's <c>ip</c> value for this call's address: the connection's, converted once, when it is that.</summary>
        public CedarValue IpValueFor(IPAddress address) =>
            IpValue is { } known && ReferenceEquals(address, Ip) ? known : CedarValue.From(address);

        // An address Cedar cannot represent is converted per call instead, inside the decision, which then denies.
        private static CedarValue? TryConvert(IPAddress? address)
        {
            if (address is null)
            {
                return null;
            }
            try
            {
                return CedarValue.From(address);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }
}
