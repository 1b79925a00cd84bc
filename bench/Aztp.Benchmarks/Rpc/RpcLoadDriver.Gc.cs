using System.Runtime;
using Aztp.Grpc;
using Aztp.Rpc;

namespace Aztp.Benchmarks.Rpc;

public static partial class RpcLoadDriver
{
    /// <summary>
    /// <c>rpc-load [callers] [seconds] 0 gc</c>: a diagnostic aid, not a measurement. Ten alternating pairs of slices
    /// (seconds ÷ 5 each) after a short warm-up, each slice's calls/s, CPU per call and JIT activity printed; then GC
    /// pause time per call and, per path, what every garbage collection condemned and promoted (from the runtime's own
    /// GC events), the methods the JIT compiled in the second half, and how many events the two agents' monitors held
    /// undelivered under secured load: what a load keeps alive across a gen-0 collection.
    /// </summary>
    private static async Task<int> DiagnoseGcAsync(int callers, double seconds, Func<Task> plainCall, Func<Task> securedCall, SecuredAgent finance, SecuredAgent caller)
    {
        using var recorder = new GcRecorder();
        await LoadAsync(callers, TimeSpan.FromSeconds(3), plainCall, null);
        await LoadAsync(callers, TimeSpan.FromSeconds(3), securedCall, null);
        long plainCalls = 0, securedCalls = 0;
        TimeSpan plainPause = default, securedPause = default, plainCpu = default, securedCpu = default;
        for (var i = 0; i < 10; i++)
        {
            var samples = new List<long>();
            recorder.RecordJit = i >= 5;
            recorder.Label = "plain";
            var pause = GC.GetTotalPauseDuration();
            var (jitCount, jitTime) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
            var (_, cpu, _, _) = await LoadAsync(callers, TimeSpan.FromSeconds(seconds / 5), plainCall, samples);
            Console.WriteLine(FormattableString.Invariant($"plain slice {i}: {samples.Count / (seconds / 5):F0} calls/s, {(cpu / Math.Max(1, samples.Count)).TotalMicroseconds:F1} µs CPU/call, JIT {JitInfo.GetCompiledMethodCount() - jitCount} methods, {(JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms"));
            plainPause += GC.GetTotalPauseDuration() - pause;
            plainCpu += cpu;
            recorder.Label = "secured";
            plainCalls += samples.Count;
            samples.Clear();
            pause = GC.GetTotalPauseDuration();
            (jitCount, jitTime) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
            (_, cpu, _, _) = await LoadAsync(callers, TimeSpan.FromSeconds(seconds / 5), securedCall, samples);
            Console.WriteLine(FormattableString.Invariant($"secured slice {i}: {samples.Count / (seconds / 5):F0} calls/s, {(cpu / Math.Max(1, samples.Count)).TotalMicroseconds:F1} µs CPU/call, JIT {JitInfo.GetCompiledMethodCount() - jitCount} methods, {(JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms"));
            securedPause += GC.GetTotalPauseDuration() - pause;
            securedCpu += cpu;
            recorder.Label = null;
            securedCalls += samples.Count;
        }
        Console.WriteLine(FormattableString.Invariant(
            $"GC pause per call: plain {(plainPause / plainCalls).TotalMicroseconds:F2} µs of {(plainCpu / plainCalls).TotalMicroseconds:F1} µs CPU, secured {(securedPause / securedCalls).TotalMicroseconds:F2} µs of {(securedCpu / securedCalls).TotalMicroseconds:F1} µs CPU"));
        // Events not yet delivered (emitted − delivered, both agents), sampled every ~0.2 ms under secured load.
        using var stop = new CancellationTokenSource();
        long outstandingSum = 0, queueSum = 0, outstandingMax = 0, readings = 0;
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var f = finance.Monitor.Statistics;
                var c = caller.Monitor.Statistics;
                var outstanding = f.Emitted - f.Delivered + c.Emitted - c.Delivered;
                outstandingSum += outstanding;
                outstandingMax = Math.Max(outstandingMax, outstanding);
                queueSum += f.QueueDepth + c.QueueDepth;
                readings++;
                Thread.Sleep(0);
                Thread.SpinWait(2000);
            }
        }) { IsBackground = true };
        sampler.Start();
        await LoadAsync(callers, TimeSpan.FromSeconds(seconds / 5), securedCall, null);
        stop.Cancel();
        sampler.Join();
        Console.WriteLine(FormattableString.Invariant($"secured: events not yet delivered: mean {outstandingSum / (double)Math.Max(1, readings):F0}, max {outstandingMax}; in the intake queues: mean {queueSum / (double)Math.Max(1, readings):F0} ({readings} readings)"));
        recorder.PrintJitted();
        recorder.Print("plain", plainCalls);
        recorder.Print("secured", securedCalls);
        return 0;
    }

    /// <summary>
    /// <c>rpc-load [callers] [seconds] 0 header|plumbing</c>: diagnostic aids. Plain calls, a middle path, and secured
    /// calls, in five rounds of alternating slices after the usual warm-up. The middle path is plain calls that also carry
    /// a new W3C <c>traceparent</c> per call (<c>header</c>: how much of the secured path's deficit the header alone
    /// accounts for) or plain calls through a no-op client and server interceptor (<c>plumbing</c>: the interceptor
    /// chain's own cost).
    /// </summary>
    private static async Task<int> CompareThreeAsync(int callers, double seconds, Func<Task> plainCall, string middleName, Func<Task> middleCall, Func<Task> securedCall)
    {
        var paths = new[] { plainCall, middleCall, securedCall };
        var names = new[] { "plain", middleName, "secured" };
        await WarmUpAsync(callers, TimeSpan.FromSeconds(3), plainCall, securedCall);
        await LoadAsync(callers, TimeSpan.FromSeconds(3), middleCall, null);
        var calls = new long[3];
        var cpu = new TimeSpan[3];
        var time = new TimeSpan[3];
        for (var round = 0; round < 5; round++)
        {
            for (var k = 0; k < 3; k++)
            {
                var samples = new List<long>();
                var (t, c, _, _) = await LoadAsync(callers, TimeSpan.FromSeconds(seconds / 5), paths[k], samples);
                calls[k] += samples.Count;
                cpu[k] += c;
                time[k] += t;
            }
        }
        var plainRate = calls[0] / time[0].TotalSeconds;
        for (var k = 0; k < 3; k++)
        {
            var rate = calls[k] / time[k].TotalSeconds;
            Console.WriteLine(FormattableString.Invariant(
                $"{names[k],-26} {rate,8:N0} calls/s  ratio to plain {rate / plainRate:F3}  CPU {(cpu[k] / Math.Max(1, calls[k])).TotalMicroseconds:F1} µs/call"));
        }
        return 0;
    }
}

/// <summary>A server interceptor that only continues (the <c>plumbing</c> diagnostic).</summary>
internal sealed class PassThroughServerInterceptor : ServerInterceptor
{
    public override Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> continuation) => continuation(context);
}

/// <summary>A client interceptor that does nothing (the <c>plumbing</c> diagnostic).</summary>
internal sealed class PassThroughClientInterceptor : ClientInterceptor
{
}
