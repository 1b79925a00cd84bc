using Aztp.Grpc;
using Aztp.Identity.WorkloadApi.Protos;

namespace Aztp.Identity.WorkloadApi.Internal;

/// <summary>The rpcs of the SpiffeWorkloadAPI service, bound once from the proto descriptor.</summary>
internal static class WorkloadApiMethods
{
    /// <summary>Workload API §5: every request carries this header so a browser or SSRF cannot reach the agent.</summary>
    public const string SecurityHeader = "workload.spiffe.io";

    public static readonly Method<X509SVIDRequest, X509SVIDResponse> FetchX509Svid = new(Find("FetchX509SVID"));
    public static readonly Method<X509BundlesRequest, X509BundlesResponse> FetchX509Bundles = new(Find("FetchX509Bundles"));
    public static readonly Method<JWTSVIDRequest, JWTSVIDResponse> FetchJwtSvid = new(Find("FetchJWTSVID"));
    public static readonly Method<JWTBundlesRequest, JWTBundlesResponse> FetchJwtBundles = new(Find("FetchJWTBundles"));
    public static readonly Method<ValidateJWTSVIDRequest, ValidateJWTSVIDResponse> ValidateJwtSvid = new(Find("ValidateJWTSVID"));

    private static Google.Protobuf.Reflection.MethodDescriptor Find(string name) =>
        WorkloadReflection.Descriptor.Services[0].FindMethodByName(name);
}
