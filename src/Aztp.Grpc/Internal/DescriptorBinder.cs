using System.Reflection;
using Google.Protobuf.Reflection;

namespace Aztp.Grpc.Internal;

/// <summary>Binds protobuf method descriptors to handler methods and delegates by reflection, once at startup.</summary>
internal static class DescriptorBinder
{
    /// <summary>The delegate type a handler of <paramref name="method"/> must have.</summary>
    public static Type GetHandlerType(MethodDescriptor method)
    {
        var request = method.InputType.ClrType ?? throw new ArgumentException($"Method '{method.FullName}' has no generated request type.", nameof(method));
        var response = method.OutputType.ClrType ?? throw new ArgumentException($"Method '{method.FullName}' has no generated response type.", nameof(method));
        return GrpcProtocol.GetMethodType(method) switch
        {
            MethodType.Unary => typeof(Func<,,>).MakeGenericType(request, typeof(ServerCallContext), typeof(Task<>).MakeGenericType(response)),
            MethodType.ServerStreaming => typeof(Func<,,,>).MakeGenericType(request, typeof(IServerStreamWriter<>).MakeGenericType(response), typeof(ServerCallContext), typeof(Task)),
            MethodType.ClientStreaming => typeof(Func<,,>).MakeGenericType(typeof(IAsyncStreamReader<>).MakeGenericType(request), typeof(ServerCallContext), typeof(Task<>).MakeGenericType(response)),
            _ => typeof(Func<,,,>).MakeGenericType(typeof(IAsyncStreamReader<>).MakeGenericType(request), typeof(IServerStreamWriter<>).MakeGenericType(response), typeof(ServerCallContext), typeof(Task)),
        };
    }

    /// <summary>The public instance method named like the rpc (or with an Async suffix), or null.</summary>
    public static MethodInfo? FindHandler(Type type, MethodDescriptor method)
    {
        MethodInfo? found = null;
        foreach (var candidate in type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (candidate.Name == method.Name || candidate.Name == method.Name + "Async")
            {
                if (found is not null)
                {
                    throw new ArgumentException($"{type.Name} has more than one method that could handle rpc '{method.FullName}'.", nameof(type));
                }

                found = candidate;
            }
        }

        return found;
    }

    public static Delegate CreateDelegate(MethodDescriptor method, object target, MethodInfo handler)
    {
        var delegateType = GetHandlerType(method);
        var invoke = delegateType.GetMethod("Invoke")!;
        var expected = invoke.GetParameters();
        var actual = handler.GetParameters();
        var matches = actual.Length == expected.Length && handler.ReturnType == invoke.ReturnType;
        for (var i = 0; matches && i < actual.Length; i++)
        {
            matches = actual[i].ParameterType == expected[i].ParameterType;
        }

        if (!matches)
        {
            throw new ArgumentException(
                $"{target.GetType().Name}.{handler.Name} cannot handle rpc '{method.FullName}': expected {Describe(invoke)}.", nameof(handler));
        }

        return Delegate.CreateDelegate(delegateType, target, handler);
    }

    public static void Register(GrpcServiceBuilder builder, MethodDescriptor method, Delegate handler)
    {
        if (method.Service.FullName != builder.ServiceName)
        {
            throw new ArgumentException($"Method '{method.FullName}' belongs to service '{method.Service.FullName}', not '{builder.ServiceName}'.", nameof(method));
        }

        var delegateType = GetHandlerType(method);
        if (handler.GetType() != delegateType)
        {
            throw new ArgumentException($"The handler of rpc '{method.FullName}' must be a {Describe(delegateType.GetMethod("Invoke")!)}, not {handler.GetType().Name}.", nameof(handler));
        }

        var request = method.InputType.ClrType!;
        var response = method.OutputType.ClrType!;
        var methodObject = Activator.CreateInstance(typeof(Method<,>).MakeGenericType(request, response), method)!;
        var registration = GrpcProtocol.GetMethodType(method) switch
        {
            MethodType.Unary => nameof(GrpcServiceBuilder.AddUnaryMethod),
            MethodType.ServerStreaming => nameof(GrpcServiceBuilder.AddServerStreamingMethod),
            MethodType.ClientStreaming => nameof(GrpcServiceBuilder.AddClientStreamingMethod),
            _ => nameof(GrpcServiceBuilder.AddDuplexStreamingMethod),
        };
        try
        {
            typeof(GrpcServiceBuilder).GetMethod(registration)!.MakeGenericMethod(request, response).Invoke(builder, [methodObject, handler]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
        }
    }

    private static string Describe(MethodInfo invoke)
    {
        var parameters = invoke.GetParameters();
        var names = new string[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            names[i] = TypeName(parameters[i].ParameterType);
        }

        return $"{TypeName(invoke.ReturnType)} ({string.Join(", ", names)})";
    }

    private static string TypeName(Type type) => type.IsGenericType
        ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", Array.ConvertAll(type.GetGenericArguments(), TypeName)) + ">"
        : type.Name;
}
