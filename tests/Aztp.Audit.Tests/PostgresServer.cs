using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Aztp.Audit.Tests;

/// <summary>
/// A real PostgreSQL server for the tests: initdb in a temp directory (as the postgres user when running as root),
/// a free port, a unix socket in the temp directory, started and stopped with pg_ctl (-w waits until it accepts).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _bin;
    private string _root = "";
    private string _data = "";
    private string _socketDir = "";
    private int _port;

    public string ConnectionString { get; private set; } = "";

    public static string? FindBin()
    {
        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => b, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    public async Task InitializeAsync()
    {
        if (FindBin() is null && Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") != "1")
        {
            return; // every test in the collection is skipped
        }
        _bin = FindBin() ?? throw new InvalidOperationException(
            "AZTP_REQUIRE_PEERS=1 but PostgreSQL server binaries are missing: install the 'postgresql' package (/usr/lib/postgresql/*/bin/initdb).");
        _root = Path.Combine(Path.GetTempPath(), "aztp-pg-" + Guid.NewGuid().ToString("N")[..10]);
        _data = Path.Combine(_root, "data");
        _socketDir = Path.Combine(_root, "sock");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_socketDir);
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _root]);
            await RunAsync("chmod", ["755", _root]);
        }
        await RunPgAsync("initdb", ["-D", _data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C"]);
        _port = FreePort();
        await StartAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = _socketDir,
            Port = _port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 5,
            Pooling = false,
        }.ConnectionString;
    }

    public async Task StartAsync() =>
        await RunPgAsync("pg_ctl", ["-D", _data, "-w", "-t", "30", "-l", Path.Combine(_root, "server.log"), "-o",
            $"-p {_port} -k {_socketDir} -c listen_addresses='' -c fsync=off -c max_connections=50", "start"]);

    public async Task StopAsync() => await RunPgAsync("pg_ctl", ["-D", _data, "-w", "-m", "immediate", "stop"]);

    public async Task DisposeAsync()
    {
        if (_bin is null)
        {
            return;
        }
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string NewTable() => "t_" + Guid.NewGuid().ToString("N")[..16];

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string tool, string[] args)
    {
        var exe = Path.Combine(_bin!, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr} {await stdout}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
