using Aztp.Grpc.Interop;
using Aztp.Grpc.Tests.Infrastructure;

namespace Aztp.Grpc.Tests;

/// <summary>Python grpcio servers (plaintext and mutual TLS), started once for the interop tests.</summary>
public sealed class PythonServersFixture : IAsyncLifetime
{
    public PeerProcess? Plaintext { get; private set; }

    public PeerProcess? MutualTls { get; private set; }

    public async Task InitializeAsync()
    {
        if (!Peers.PythonAvailable)
        {
            return;
        }

        var certs = TestCertificates.Shared;
        var script = Peers.ScriptPath("interop_server.py");
        Plaintext = await Peers.StartServerAsync(Peers.Python, [script, "--port", "0"], Peers.PythonEnvironment());
        MutualTls = await Peers.StartServerAsync(
            Peers.Python,
            [script, "--port", "0", "--use_tls", "--cert", certs.ServerCertPath, "--key", certs.ServerKeyPath, "--ca", certs.CaPath, "--require_client_cert"],
            Peers.PythonEnvironment());
    }

    public async Task DisposeAsync()
    {
        if (Plaintext is not null)
        {
            await Plaintext.DisposeAsync();
        }

        if (MutualTls is not null)
        {
            await MutualTls.DisposeAsync();
        }
    }
}

/// <summary>Aztp.Grpc interop servers (plaintext and mutual TLS), in process.</summary>
public sealed class AztpServersFixture : IAsyncLifetime
{
    public GrpcServer Plaintext { get; private set; } = null!;

    public GrpcServer MutualTls { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var certs = TestCertificates.Shared;
        Plaintext = await InteropServer.StartAsync(0);
        MutualTls = await InteropServer.StartAsync(0, certs.ServerCertPath, certs.ServerKeyPath, certs.CaPath, requireClientCert: true);
    }

    public async Task DisposeAsync()
    {
        await Plaintext.DisposeAsync();
        await MutualTls.DisposeAsync();
    }
}

/// <summary>The grpc.testing interop cases in both directions against Python grpcio, plaintext and mutual TLS.</summary>
public sealed class InteropTests(PythonServersFixture python, AztpServersFixture aztp) : IClassFixture<PythonServersFixture>, IClassFixture<AztpServersFixture>
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "plaintext", "mtls" })
        {
            foreach (var testCase in InteropClient.TestCases)
            {
                data.Add(mode, testCase);
            }
        }

        return data;
    }

    [PythonGrpcTheory]
    [MemberData(nameof(Cases))]
    public async Task AztpClient_AgainstPythonServer_Passes(string mode, string testCase)
    {
        Peers.EnsurePython();
        var server = mode == "mtls" ? python.MutualTls! : python.Plaintext!;
        using var channel = CreateChannel(mode, server.Port);

        // grpcio's Python server API cannot see whether a request was compressed, so the feature probe of
        // client_compressed_unary cannot be answered by it; the compressed calls themselves still run.
        var client = new InteropClient(channel) { CompressionProbe = false };
        await client.RunAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [PythonGrpcTheory]
    [MemberData(nameof(Cases))]
    public async Task PythonClient_AgainstAztpServer_Passes(string mode, string testCase)
    {
        Peers.EnsurePython();
        var certs = TestCertificates.Shared;
        var server = mode == "mtls" ? aztp.MutualTls : aztp.Plaintext;
        List<string> args = [Peers.ScriptPath("interop_client.py"), "--server_host", "127.0.0.1", "--server_port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--test_case", testCase];
        if (mode == "mtls")
        {
            args.AddRange(["--use_tls", "--ca", certs.CaPath, "--cert", certs.ClientCertPath, "--key", certs.ClientKeyPath, "--server_host_override", TestCertificates.ServerName]);
        }

        var (exitCode, output) = await Peers.RunAsync(Peers.Python, args, Peers.PythonEnvironment(), TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, output);
        Assert.Contains("PASS " + testCase, output, StringComparison.Ordinal);
    }

    [PythonGrpcFact]
    public async Task AztpClient_WithoutClientCertificate_IsRefusedByMutualTlsPythonServer()
    {
        Peers.EnsurePython();
        var certs = TestCertificates.Shared;
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{python.MutualTls!.Port}", new GrpcChannelOptions
        {
            ServerNameOverride = TestCertificates.ServerName,
            ServerCertificateValidation = InteropCertificates.TrustedBy(certs.Ca, checkName: true),
        });
        var ex = await Assert.ThrowsAsync<RpcException>(() => new InteropClient(channel).RunAsync("empty_unary"));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [PythonGrpcFact]
    public async Task InteropCli_ServerAndClient_RunAllCasesOverMutualTls()
    {
        Peers.EnsurePython();
        var certs = TestCertificates.Shared;
        var host = typeof(InteropServer).Assembly.Location;

        // CLI server (Aztp) <- Python client.
        await using (var server = await Peers.StartServerAsync("dotnet", [host, "server", "--port", "0", "--use_tls", "--cert", certs.ServerCertPath, "--key", certs.ServerKeyPath, "--ca", certs.CaPath, "--require_client_cert"], null))
        {
            var (exitCode, output) = await Peers.RunAsync(
                Peers.Python,
                [Peers.ScriptPath("interop_client.py"), "--server_host", "127.0.0.1", "--server_port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--test_case", "all",
                    "--use_tls", "--ca", certs.CaPath, "--cert", certs.ClientCertPath, "--key", certs.ClientKeyPath, "--server_host_override", TestCertificates.ServerName],
                Peers.PythonEnvironment(),
                TimeSpan.FromSeconds(90));
            Assert.True(exitCode == 0, output + server.Log);
        }

        // CLI client (Aztp) -> Python server.
        var (clientExit, clientOutput) = await Peers.RunAsync(
            "dotnet",
            [host, "client", "--server_host", "127.0.0.1", "--server_port", python.MutualTls!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--test_case", "all",
                "--use_tls", "--ca", certs.CaPath, "--cert", certs.ClientCertPath, "--key", certs.ClientKeyPath, "--server_host_override", TestCertificates.ServerName, "--skip_compression_probe"],
            null,
            TimeSpan.FromSeconds(90));
        Assert.True(clientExit == 0, clientOutput);
        Assert.Equal(InteropClient.TestCases.Length, clientOutput.Split('\n').Count(line => line.StartsWith("PASS ", StringComparison.Ordinal)));
    }

    [PythonGrpcFact]
    public async Task InteropCli_FailedCase_ExitsNonZero()
    {
        Peers.EnsurePython();

        // The compression probe cannot pass against grpcio's Python server: the host must report it and exit 1.
        var (exitCode, output) = await Peers.RunAsync(
            "dotnet",
            [typeof(InteropServer).Assembly.Location, "client", "--server_host", "127.0.0.1", "--server_port", python.Plaintext!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--test_case", "client_compressed_unary"],
            null,
            TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL client_compressed_unary", output, StringComparison.Ordinal);
    }

    private static GrpcChannel CreateChannel(string mode, int port)
    {
        if (mode != "mtls")
        {
            return GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        }

        var certs = TestCertificates.Shared;
        return GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions
        {
            ServerNameOverride = TestCertificates.ServerName,
            ServerCertificateValidation = InteropCertificates.TrustedBy(certs.Ca, checkName: true),
            ClientCertificateSelector = _ => certs.Client,
        });
    }
}
