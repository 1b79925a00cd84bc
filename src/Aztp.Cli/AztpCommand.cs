using System.CommandLine;

namespace Aztp.Cli;

/// <summary>Builds the <c>aztp</c> command tree. Each area adds its commands in its own file.</summary>
internal static class AztpCommand
{
    /// <summary>Creates the root command with every subcommand.</summary>
    public static RootCommand Create(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("aztp — zero-trust tooling for AI agents: SPIFFE identities, Cedar policies and the audit trail.");
        // Areas register here, one line each, e.g. KeysCommands.Add(root, stdout, stderr);
        IdentityCommands.Add(root, stdout, stderr);
        PolicyCommands.Add(root, stdout, stderr);
        AuditCommands.Add(root, stdout, stderr);
        WorkloadCommands.Add(root, stdout, stderr);
        _ = stdout;
        _ = stderr;
        return root;
    }

    /// <summary>Parses and runs a command line; a parse error is a usage error (exit 2).</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = Create(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync(error.Message).ConfigureAwait(false);
            }
            return 2;
        }
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
