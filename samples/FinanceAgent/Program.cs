using System.Globalization;
using Aztp.Core;
using FinanceAgent;

// FinanceAgent — the Aztp sample.
//   (no arguments)                         the whole story in one process
//   serve [--address URL]                  the finance agent alone, until Ctrl+C
//   call --as NAME --amount N [--address URL]   one call from payroll or marketing to a running finance agent
//   audit [--type T] [--outcome O] [--last N]   print and verify the stored audit trail
// Common: --keys DIR (default ./keys), --policies DIR (default: the policies beside the executable), --db FILE (./audit.db)

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

try
{
    var (command, options) = Parse(args);
    var settings = SampleSettings.Default with
    {
        KeyDir = Path.GetFullPath(options.GetValueOrDefault("--keys", SampleSettings.Default.KeyDir)),
        PolicyDir = Path.GetFullPath(options.GetValueOrDefault("--policies", SampleSettings.Default.PolicyDir)),
        AuditDb = Path.GetFullPath(options.GetValueOrDefault("--db", SampleSettings.Default.AuditDb)),
    };
    var address = options.GetValueOrDefault("--address", Commands.DefaultAddress);
    return command switch
    {
        "" or "demo" => await Story.RunAsync(settings, cts.Token),
        "serve" => await Commands.ServeAsync(settings, address, cts.Token),
        "call" => await Commands.CallAsync(settings,
            options.TryGetValue("--as", out var caller) ? caller : throw new UsageException("call needs --as NAME (payroll or marketing)"),
            options.TryGetValue("--amount", out var amount) && long.TryParse(amount, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n : throw new UsageException("call needs --amount N (a whole number)"),
            address, cts.Token),
        "audit" => await Commands.AuditAsync(settings,
            options.TryGetValue("--type", out var t) ? SecurityEventJson.ParseType(t) : null,
            options.TryGetValue("--outcome", out var o) ? SecurityEventJson.ParseOutcome(o) : null,
            options.TryGetValue("--last", out var last) ? int.Parse(last, CultureInfo.InvariantCulture) : 50,
            cts.Token),
        _ => throw new UsageException($"unknown command '{command}'"),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"FinanceAgent: {ex.Message}");
    Console.Error.WriteLine("usage: FinanceAgent [demo | serve [--address URL] | call --as NAME --amount N [--address URL] | audit [--type T] [--outcome O] [--last N]] [--keys DIR] [--policies DIR] [--db FILE]");
    return 2;
}
catch (System.Text.Json.JsonException ex)
{
    Console.Error.WriteLine($"FinanceAgent: {ex.Message}");
    return 2;
}

static (string Command, Dictionary<string, string> Options) Parse(string[] args)
{
    var command = "";
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal))
        {
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{args[i]} needs a value");
            }
            options[args[i]] = args[++i];
        }
        else if (command.Length == 0)
        {
            command = args[i];
        }
        else
        {
            throw new UsageException($"unexpected argument '{args[i]}'");
        }
    }
    return (command, options);
}

/// <summary>A command line the sample cannot run; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
