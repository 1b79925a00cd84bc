using Aztp.Grpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Aztp.Grpc;

/// <summary>Maps gRPC services onto ASP.NET Core endpoint routing (for callers that host their own Kestrel app).</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every method of a service at <c>/service/method</c>, plus a catch-all that answers UNIMPLEMENTED for the
    /// service's other methods.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="service">The service.</param>
    /// <param name="options">Protocol options and interceptors; defaults when <see langword="null"/>.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapGrpcService(this IEndpointRouteBuilder endpoints, GrpcServiceDefinition service, GrpcServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(service);
        options ??= new GrpcServerOptions();
        options.Validate();
        foreach (var method in service.Methods)
        {
            var bound = method;
            endpoints.Map(bound.FullName, context => ServerCall.HandleAsync(context, bound, options)).WithDisplayName("gRPC " + bound.FullName);
        }

        endpoints.Map("/" + service.ServiceName + "/{unimplementedMethod}", context => ServerCall.HandleAsync(context, null, options))
            .WithDisplayName("gRPC unimplemented method of " + service.ServiceName);
        return endpoints;
    }

    /// <summary>Maps a catch-all that answers UNIMPLEMENTED for gRPC calls to services that are not mapped.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="options">Protocol options; defaults when <see langword="null"/>.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapGrpcUnimplemented(this IEndpointRouteBuilder endpoints, GrpcServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        options ??= new GrpcServerOptions();
        endpoints.Map("/{unimplementedService}/{unimplementedMethod}", context => ServerCall.HandleAsync(context, null, options))
            .WithDisplayName("gRPC unimplemented service")
            .WithOrder(int.MaxValue);
        return endpoints;
    }
}
