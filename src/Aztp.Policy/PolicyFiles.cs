namespace Aztp.Policy;

/// <summary>Finds and loads Cedar policy files: a single file, or every <c>*.cedar</c> file under a directory.</summary>
public static class PolicyFiles
{
    /// <summary>The file extension of Cedar policy files.</summary>
    public const string Extension = ".cedar";

    /// <summary>
    /// The policy files at <paramref name="fileOrDirectory"/>: the file itself, or every <c>*.cedar</c> file under the
    /// directory (recursively) in ordinal order of their relative paths, so numbering is stable.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    public static IReadOnlyList<string> Enumerate(string fileOrDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrDirectory);
        if (File.Exists(fileOrDirectory))
        {
            return [Path.GetFullPath(fileOrDirectory)];
        }
        if (!Directory.Exists(fileOrDirectory))
        {
            throw new FileNotFoundException($"no policy file or directory at '{fileOrDirectory}'", fileOrDirectory);
        }
        var root = Path.GetFullPath(fileOrDirectory);
        var files = Directory.GetFiles(root, "*" + Extension, SearchOption.AllDirectories);
        Array.Sort(files, (a, b) => string.CompareOrdinal(Path.GetRelativePath(root, a), Path.GetRelativePath(root, b)));
        return files;
    }

    /// <summary>Loads and parses every policy file at the path as one set (ids numbered across files in order).</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="PolicyParseException">A file is not valid Cedar; the exception names the file, line and column.</exception>
    public static async Task<PolicySet> LoadAsync(string fileOrDirectory, CancellationToken cancellationToken = default)
    {
        var sources = new List<(string, string)>();
        foreach (var f in Enumerate(fileOrDirectory))
        {
            sources.Add((f, await File.ReadAllTextAsync(f, cancellationToken).ConfigureAwait(false)));
        }
        return PolicySet.Parse(sources);
    }
}
