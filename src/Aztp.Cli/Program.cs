using System.CommandLine;

namespace Aztp.Cli;

/// <summary>Entry point of the <c>aztp</c> command-line tool.</summary>
internal static class Program
{
    /// <summary>Runs the tool. Exit codes: 0 success/valid, 1 invalid, 2 usage error.</summary>
    public static Task<int> Main(string[] args) => AztpCommand.InvokeAsync(args, Console.Out, Console.Error);
}
