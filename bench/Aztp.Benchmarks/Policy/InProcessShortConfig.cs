using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Aztp.Benchmarks.Policy;

/// <summary>
/// A short job run in-process, shared by the policy benchmarks: on the shared 2-core machine the generated-project
/// build of the default toolchain can exceed BenchmarkDotNet's 2-minute build timeout.
/// </summary>
internal sealed class InProcessShortConfig : ManualConfig
{
    public InProcessShortConfig() =>
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance));
}
