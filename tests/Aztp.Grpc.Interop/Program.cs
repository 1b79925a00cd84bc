// The grpc.testing interop host. Flags follow gRPC's interop test descriptions:
//   server --port N [--use_tls --cert F --key F --ca F --require_client_cert]
//   client --server_host H --server_port N --test_case NAME[,NAME...|all] [--use_tls --ca F --cert F --key F --server_host_override NAME]
//          [--skip_compression_probe]  (for servers that cannot see request compression, e.g. Python grpcio)
using Aztp.Grpc;
using Aztp.Grpc.Interop;

if (args.Length == 0 || (args[0] != "server" && args[0] != "client"))
{
    Console.Error.WriteLine("usage: Aztp.Grpc.Interop server|client [flags]");
    return 2;
}

var flags = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i < args.Length; i++)
{
    var arg = args[i];
    if (!arg.StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"unexpected argument '{arg}'");
        return 2;
    }

    var name = arg[2..];
    var eq = name.IndexOf('=');
    if (eq >= 0)
    {
        flags[name[..eq]] = name[(eq + 1)..];
    }
    else if (name is "use_tls" or "require_client_cert" or "skip_compression_probe")
    {
        flags[name] = "true";
    }
    else if (i + 1 < args.Length)
    {
        flags[name] = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"flag --{name} needs a value");
        return 2;
    }
}

string? Flag(string name) => flags.TryGetValue(name, out var value) ? value : null;
var useTls = Flag("use_tls") is "true" or "1";

if (args[0] == "server")
{
    var port = int.Parse(Flag("port") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
    await using var server = await InteropServer.StartAsync(
        port,
        useTls ? Flag("cert") ?? throw new ArgumentException("--cert is required with --use_tls") : null,
        useTls ? Flag("key") : null,
        useTls ? Flag("ca") : null,
        Flag("require_client_cert") is "true" or "1");
    Console.WriteLine($"listening on {server.Port}");
    using var stop = new CancellationTokenSource();
    using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
    using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    return 0;
}

var host = Flag("server_host") ?? "localhost";
var serverPort = Flag("server_port") ?? throw new ArgumentException("--server_port is required");
var options = new GrpcChannelOptions { ServerNameOverride = Flag("server_host_override") };
if (useTls)
{
    if (Flag("ca") is { } ca)
    {
        options.ServerCertificateValidation = InteropCertificates.TrustedBy(InteropCertificates.LoadCa(ca), checkName: true);
    }

    if (Flag("cert") is { } cert)
    {
        var clientCertificate = InteropCertificates.LoadCertificateWithKey(cert, Flag("key") ?? throw new ArgumentException("--key is required with --cert"));
        options.ClientCertificateSelector = _ => clientCertificate;
    }
}

using var channel = GrpcChannel.ForAddress($"{(useTls ? "https" : "http")}://{host}:{serverPort}", options);
var client = new InteropClient(channel) { CompressionProbe = Flag("skip_compression_probe") is not ("true" or "1") };
var cases = (Flag("test_case") ?? "all") == "all" ? InteropClient.TestCases : (Flag("test_case") ?? string.Empty).Split(',');
var failed = 0;
foreach (var testCase in cases)
{
    try
    {
        await client.RunAsync(testCase);
        Console.WriteLine($"PASS {testCase}");
    }
    catch (Exception ex)
    {
        failed++;
        Console.WriteLine($"FAIL {testCase}: {ex.GetType().Name}: {ex.Message}");
    }
}

return failed == 0 ? 0 : 1;
