using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aztp.Identity.Tests.WorkloadApi;

/// <summary>A fact that needs Python grpcio; skipped when it is missing unless AZTP_REQUIRE_PEERS=1 (then it fails).</summary>
public sealed class WorkloadFactAttribute : FactAttribute
{
    public WorkloadFactAttribute()
    {
        if (!WorkloadApiServer.Available && !WorkloadApiServer.Required)
        {
            Skip = WorkloadApiServer.SkipReason;
        }
    }
}

/// <summary>
/// The Python grpcio Workload API server (python/workload_server.py) on a temp Unix socket. It serves the JSON state the
/// test writes with <see cref="WriteState"/> and pushes an update on every open stream when the state changes.
/// </summary>
public sealed class WorkloadApiServer : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> PythonAvailable = new(() => Run(["-c", "import grpc, grpc_tools"]).ExitCode == 0);
    private static readonly Lazy<string> Stubs = new(GenerateStubs);
    private Process? _process;
    private readonly StringBuilder _log = new();

    private WorkloadApiServer(string directory)
    {
        Directory = directory;
        SocketPath = Path.Combine(directory, "agent.sock");
        StatePath = Path.Combine(directory, "state.json");
    }

    public static bool Required => Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") == "1";

    public static bool Available => PythonAvailable.Value;

    public static string SkipReason => "Python grpcio is not installed (apt-get install python3-grpcio python3-grpc-tools); set AZTP_REQUIRE_PEERS=1 to fail instead.";

    public static string RepoRoot { get; } = FindRepoRoot();

    public string Directory { get; }

    public string SocketPath { get; }

    public string StatePath { get; }

    public string Address => "unix://" + SocketPath;

    public string Log { get { lock (_log) { return _log.ToString(); } } }

    /// <summary>Writes the state and starts the server; returns once it printed READY.</summary>
    public static async Task<WorkloadApiServer> StartAsync(JsonObject state)
    {
        if (!Available)
        {
            throw new InvalidOperationException($"AZTP_REQUIRE_PEERS=1 but Python grpcio is not available to {Python} (apt-get install python3-grpcio python3-grpc-tools).");
        }

        // Unix socket paths are limited to ~108 bytes: keep the directory short.
        var dir = System.IO.Directory.CreateTempSubdirectory("aztp-wl-").FullName;
        var server = new WorkloadApiServer(dir);
        server.WriteState(state);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Replaces the state atomically (the server polls the file and pushes an update).</summary>
    public void WriteState(JsonObject state)
    {
        var tmp = StatePath + "." + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, state.ToJsonString());
        File.Move(tmp, StatePath, overwrite: true);
    }

    /// <summary>Kills the server (streams break abruptly, as when an agent crashes).</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            p.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same socket.</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync()
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "tests", "Aztp.Identity.Tests", "WorkloadApi", "python", "workload_server.py"));
        psi.ArgumentList.Add(SocketPath);
        psi.ArgumentList.Add(StatePath);
        psi.Environment["PYTHONPATH"] = Stubs.Value;
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_log) { _log.AppendLine(e.Data); }
            if (e.Data == "READY") ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_log) { _log.AppendLine(e.Data); } } };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("workload_server.py exited before READY:\n" + Log));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static string GenerateStubs()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("aztp-wl-stubs-").FullName;
        var protos = Path.Combine(RepoRoot, "src", "Aztp.Identity", "Protos");
        var (code, output) = Run(["-m", "grpc_tools.protoc", "-I", protos, "--python_out=" + dir, "--grpc_python_out=" + dir, "workload.proto"]);
        if (code != 0)
        {
            throw new InvalidOperationException("grpc_tools.protoc failed: " + output);
        }

        return dir;
    }

    private static (int ExitCode, string Output) Run(string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit(60_000);
            return (p.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aztp.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Aztp.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>Builds Workload API server state from real certificates and keys.</summary>
public static class WorkloadState
{
    public static JsonObject Entry(X509Svid svid, TrustBundle bundle) => new()
    {
        ["spiffe_id"] = svid.Id.ToString(),
        ["chain"] = Convert.ToBase64String([.. svid.Certificate.RawData, .. svid.Intermediates.SelectMany(c => c.RawData)]),
        ["key"] = Convert.ToBase64String(ExportKey(svid)),
        ["bundle"] = Der(bundle),
    };

    public static string Der(TrustBundle bundle) => Convert.ToBase64String(bundle.X509Authorities.SelectMany(c => c.RawData).ToArray());

    public static JsonObject Of(params JsonObject[] svids) => new() { ["svids"] = new JsonArray([.. svids]) };

    private static byte[] ExportKey(X509Svid svid)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)svid.Certificate.GetECDsaPrivateKey() ?? svid.Certificate.GetRSAPrivateKey()!;
        return key.ExportPkcs8PrivateKey();
    }
}
