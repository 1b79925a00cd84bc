using System.Diagnostics;
using System.Text;

namespace Aztp.Grpc.Tests.Infrastructure;

/// <summary>The Python grpcio peer: availability, generated stubs, and processes running the interop scripts.</summary>
public static class Peers
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> PythonGrpcAvailable = new(() =>
    {
        try
        {
            return RunAsync(Python, ["-c", "import grpc, grpc_tools"], null, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult().ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    private static readonly Lazy<string> Stubs = new(GenerateStubs);

    public static bool Required => Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") == "1";

    public static bool PythonAvailable => PythonGrpcAvailable.Value;

    public static string SkipReason => "Python grpcio is not installed (apt-get install python3-grpcio python3-grpc-tools); set AZTP_REQUIRE_PEERS=1 to fail instead of skipping.";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ScriptPath(string name) => Path.Combine(RepoRoot, "tests", "Aztp.Grpc.Tests", "python", name);

    /// <summary>Fails with a clear message when the peer is missing (only reached when AZTP_REQUIRE_PEERS=1 or available).</summary>
    public static void EnsurePython()
    {
        if (!PythonAvailable)
        {
            throw new InvalidOperationException($"AZTP_REQUIRE_PEERS=1 but Python grpcio is not available to {Python} (apt-get install python3-grpcio python3-grpc-tools).");
        }
    }

    /// <summary>Python stubs generated once per test run with grpc_tools.protoc from the interop protos.</summary>
    public static string StubDirectory => Stubs.Value;

    private static string GenerateStubs()
    {
        EnsurePython();
        var dir = Directory.CreateTempSubdirectory("aztp-grpc-pystubs-").FullName;
        var protos = Path.Combine(RepoRoot, "tests", "Aztp.Grpc.Interop", "Protos");
        var result = RunAsync(Python, ["-m", "grpc_tools.protoc", "-I", protos, "--python_out=" + dir, "--grpc_python_out=" + dir, "empty.proto", "messages.proto", "test.proto"], null, TimeSpan.FromSeconds(60))
            .GetAwaiter().GetResult();
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("grpc_tools.protoc failed: " + result.Output);
        }

        return dir;
    }

    public static Dictionary<string, string> PythonEnvironment() => new() { ["PYTHONPATH"] = StubDirectory, ["PYTHONUNBUFFERED"] = "1" };

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? environment, TimeSpan timeout)
    {
        using var process = new Process { StartInfo = CreateStartInfo(file, args, environment) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            lock (output)
            {
                return (-1, $"timed out after {timeout}: {file} {string.Join(' ', args)}\n{output}");
            }
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>Starts a server process and waits for its "listening on PORT" line.</summary>
    public static async Task<PeerProcess> StartServerAsync(string file, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        var process = new Process { StartInfo = CreateStartInfo(file, args, environment) };
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException("server exited before listening: " + log));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal))
            {
                port.TrySetResult(int.Parse(e.Data["listening on ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var bound = await port.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new PeerProcess(process, bound, log);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    private static ProcessStartInfo CreateStartInfo(string file, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        return info;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aztp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Aztp.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A peer server process; disposing kills it (by its own handle) and its children.</summary>
public sealed class PeerProcess(Process process, int port, StringBuilder log) : IAsyncDisposable
{
    public int Port { get; } = port;

    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}

/// <summary>A fact that needs Python grpcio: skipped when missing, unless AZTP_REQUIRE_PEERS=1 (then it fails).</summary>
public sealed class PythonGrpcFactAttribute : FactAttribute
{
    public PythonGrpcFactAttribute()
    {
        if (!Peers.Required && !Peers.PythonAvailable)
        {
            Skip = Peers.SkipReason;
        }
    }
}

/// <summary>A theory that needs Python grpcio: skipped when missing, unless AZTP_REQUIRE_PEERS=1 (then it fails).</summary>
public sealed class PythonGrpcTheoryAttribute : TheoryAttribute
{
    public PythonGrpcTheoryAttribute()
    {
        if (!Peers.Required && !Peers.PythonAvailable)
        {
            Skip = Peers.SkipReason;
        }
    }
}
