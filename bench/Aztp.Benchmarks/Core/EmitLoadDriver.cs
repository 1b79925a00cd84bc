using System.Diagnostics;
using System.Globalization;
using Aztp.Core;

namespace Aztp.Benchmarks.Core;

/// <summary>
/// <c>emit-load [producers] [seconds] [rounds]</c>: a diagnostic aid for the monitor's intake. Producer threads make and
/// emit <c>rpc/request_received</c> events as fast as they can into one monitor with a no-op handler (the dispatcher and
/// the handler's pump run beside them), in timed rounds after two warm-up rounds; prints the median events per second
/// and process CPU per event. Events here cost what they cost inside a secured call (creation, id, redaction check,
/// reservation, hand-off) without the RPC around them, so cross-core effects in the pipeline show up undiluted.
/// </summary>
internal static class EmitLoadDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var producers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        await using var monitor = new SecurityMonitor("bench", new MonitoringOptions { ConsoleLogging = false });
        monitor.AddHandler("noop", static (_, _) => ValueTask.CompletedTask);
        var rates = new List<double>();
        var cpus = new List<double>();
        using var process = Process.GetCurrentProcess();
        for (var round = -2; round < rounds; round++)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var counts = new long[producers];
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var threads = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(async () =>
            {
                long n = 0;
                while (!stop.IsCancellationRequested)
                {
                    for (var i = 0; i < 64; i++)
                    {
                        await monitor.EmitAsync(monitor.Events.RpcRequestReceived("calculate-tax", "spiffe://company.org/payroll", "127.0.0.1"));
                    }
                    n += 64;
                }
                counts[p] = n;
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();
            await Task.WhenAll(threads);
            await monitor.FlushAsync();
            clock.Stop();
            process.Refresh();
            var events = counts.Sum();
            if (round >= 0)
            {
                rates.Add(events / clock.Elapsed.TotalSeconds);
                cpus.Add((process.TotalProcessorTime - cpuBefore).TotalNanoseconds / events);
            }
        }
        Console.WriteLine(FormattableString.Invariant(
            $"{producers} producer(s), {rounds} rounds of {seconds} s: median {Median(rates):N0} events/s, CPU {Median(cpus):F0} ns/event (rounds: {string.Join(' ', rates.Select(r => (r / 1e6).ToString("F2", CultureInfo.InvariantCulture)))} M/s)"));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
