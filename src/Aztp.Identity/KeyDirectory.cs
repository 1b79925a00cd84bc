using System.Runtime.Versioning;

namespace Aztp.Identity;

/// <summary>
/// The zero-config key directory layout (ARCHITECTURE.md) and the operations on it:
/// <c>bundle.pem</c> (trust-domain CA certificates), <c>&lt;agent&gt;/svid.pem</c> + <c>&lt;agent&gt;/key.pem</c> (mode 0600),
/// <c>federation/&lt;trust-domain&gt;.pem</c> (PEM or SPIFFE bundle JSON), <c>jwt-bundle.json</c> (SPIFFE bundle with the
/// JWT keys), and for development <c>ca-key.pem</c> and <c>jwt-key.pem</c> (both 0600).
/// </summary>
public static class KeyDirectory
{
    /// <summary>The trust-domain CA certificates.</summary>
    public const string BundleFile = "bundle.pem";

    /// <summary>The development CA's private key.</summary>
    public const string CaKeyFile = "ca-key.pem";

    /// <summary>The JWT bundle (SPIFFE bundle format, <c>jwt-svid</c> keys).</summary>
    public const string JwtBundleFile = "jwt-bundle.json";

    /// <summary>The development JWT signing key.</summary>
    public const string JwtKeyFile = "jwt-key.pem";

    /// <summary>The folder of federated bundles.</summary>
    public const string FederationFolder = "federation";

    /// <summary>An agent's certificate chain file name.</summary>
    public const string SvidFile = "svid.pem";

    /// <summary>An agent's private key file name.</summary>
    public const string KeyFile = "key.pem";

    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates a key directory: a fresh CA for the trust domain, an SVID for each agent, and a JWT signing key with its
    /// bundle. Refuses to overwrite an existing <c>bundle.pem</c>.
    /// </summary>
    /// <param name="directory">The directory (created if missing).</param>
    /// <param name="trustDomain">The trust domain.</param>
    /// <param name="agents">Agent names; each becomes <c>spiffe://td/&lt;agent&gt;</c>.</param>
    /// <param name="svidLifetime">SVID validity; default 24 hours.</param>
    /// <param name="timeProvider">Clock; the system clock by default.</param>
    /// <exception cref="InvalidOperationException">The directory already has a bundle.</exception>
    /// <exception cref="SpiffeIdFormatException">An agent name is not a valid path segment.</exception>
    public static void Initialize(string directory, TrustDomain trustDomain, IEnumerable<string> agents, TimeSpan? svidLifetime = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(agents);
        string[] names = [.. agents.Distinct(StringComparer.Ordinal)];
        foreach (var agent in names)
        {
            ValidateAgentName(trustDomain, agent);
        }
        if (File.Exists(Path.Combine(directory, BundleFile)))
        {
            throw new InvalidOperationException($"'{directory}' already holds a key directory ({BundleFile} exists); refusing to overwrite it.");
        }
        CreateDirectory(directory, false);
        using var ca = DevCertificateAuthority.Create(trustDomain, null, timeProvider);
        WritePrivate(Path.Combine(directory, CaKeyFile), ca.ExportPrivateKeyPem());
        foreach (var agent in names)
        {
            IssueAgent(directory, ca, agent, svidLifetime);
        }
        using var jwtKey = JwtSigningKey.Generate(JwtAlgorithm.ES256);
        WritePrivate(Path.Combine(directory, JwtKeyFile), jwtKey.ExportPrivateKeyPem());
        using var authority = jwtKey.ToAuthority();
        var jwtBundle = new TrustBundle(trustDomain, null, [authority], 1);
        WriteAtomically(Path.Combine(directory, JwtBundleFile), jwtBundle.ToSpiffeBundleJson(), null);
        CreateDirectory(Path.Combine(directory, FederationFolder), false);
        // The bundle goes last: its presence marks a complete directory.
        WriteAtomically(Path.Combine(directory, BundleFile), ca.ExportCertificatePem() + "\n", null);
    }

    /// <summary>Issues (or re-issues, for rotation) an agent's SVID with the directory's development CA.</summary>
    /// <returns>The new SVID's serial number and expiry.</returns>
    /// <exception cref="IdentityLoadException">The CA files are missing, insecure or invalid.</exception>
    public static (string Serial, DateTimeOffset NotAfter) IssueSvid(string directory, string agent, TimeSpan? lifetime = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var caKeyPath = Path.Combine(directory, CaKeyFile);
        var bundlePath = Path.Combine(directory, BundleFile);
        if (!File.Exists(caKeyPath) || !File.Exists(bundlePath))
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound, $"'{directory}' has no development CA ({CaKeyFile} and {BundleFile}).");
        }
        EnsurePrivate(caKeyPath);
        var caPem = File.ReadAllText(bundlePath);
        using var ca = DevCertificateAuthority.FromPem(FirstCertificatePem(caPem), File.ReadAllText(caKeyPath), timeProvider);
        ValidateAgentName(ca.TrustDomain, agent);
        return IssueAgent(directory, ca, agent, lifetime);
    }

    /// <summary>
    /// Refuses a private key file that group or others can read, write or execute (Unix). Does nothing on Windows,
    /// where ACLs govern access.
    /// </summary>
    /// <exception cref="IdentityLoadException">The file is missing or its mode is not 0600/0400.</exception>
    public static void EnsurePrivate(string keyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        if (!File.Exists(keyPath))
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound, $"The private key file '{keyPath}' does not exist.");
        }
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(keyPath);
        if ((mode & GroupOrOther) != 0)
        {
            throw new IdentityLoadException(IdentityLoadError.InsecureKeyPermissions,
                $"The private key '{keyPath}' is accessible by group or others (mode {Octal(mode)}); run 'chmod 600 {keyPath}'.");
        }
    }

    /// <summary>Writes a private key file with mode 0600 (replacing any existing file atomically).</summary>
    public static void WritePrivate(string path, string pem)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(pem);
        WriteAtomically(path, pem, PrivateMode);
    }

    /// <summary>
    /// Reads every bundle of a key directory: the local trust domain's (<c>bundle.pem</c> merged with the JWT keys of
    /// <c>jwt-bundle.json</c>) and one per file in <c>federation/</c> (named <c>&lt;trust-domain&gt;.pem</c> or <c>.json</c>).
    /// </summary>
    /// <exception cref="IdentityLoadException">A file is missing or invalid.</exception>
    public static IReadOnlyList<TrustBundle> ReadBundles(string directory, TrustDomain trustDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(trustDomain);
        var bundles = new List<TrustBundle>();
        var local = TrustBundle.Load(trustDomain, Path.Combine(directory, BundleFile));
        var jwtBundlePath = Path.Combine(directory, JwtBundleFile);
        if (File.Exists(jwtBundlePath))
        {
            var jwt = TrustBundle.Load(trustDomain, jwtBundlePath);
            local = local.WithJwtAuthorities(jwt.JwtAuthorities.Values, jwt.SequenceNumber);
        }
        bundles.Add(local);
        var federation = Path.Combine(directory, FederationFolder);
        if (Directory.Exists(federation))
        {
            foreach (var file in Directory.EnumerateFiles(federation).Order(StringComparer.Ordinal))
            {
                var extension = Path.GetExtension(file);
                if (extension is not (".pem" or ".json"))
                {
                    continue;
                }
                var name = Path.GetFileNameWithoutExtension(file);
                if (!TrustDomain.TryParse(name, out var federated))
                {
                    throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"Federated bundle file '{file}' is not named after a valid trust domain.");
                }
                if (federated == trustDomain)
                {
                    throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"Federated bundle file '{file}' is for the local trust domain; put local CAs in {BundleFile}.");
                }
                bundles.Add(TrustBundle.Load(federated, file));
            }
        }
        return bundles;
    }

    internal static void ValidateAgentName(TrustDomain trustDomain, string agent)
    {
        ArgumentException.ThrowIfNullOrEmpty(agent);
        // A single path segment: the agent's ID is spiffe://td/<agent>; a '/' would make nested folders.
        SpiffeId.FromSegments(trustDomain, agent);
        if (agent == FederationFolder)
        {
            throw new ArgumentException($"'{FederationFolder}' is reserved for federated bundles and cannot be an agent name.", nameof(agent));
        }
    }

    internal static string FirstCertificatePem(string pem)
    {
        const string end = "-----END CERTIFICATE-----";
        var index = pem.IndexOf(end, StringComparison.Ordinal);
        return index < 0 ? pem : pem[..(index + end.Length)];
    }

    private static (string Serial, DateTimeOffset NotAfter) IssueAgent(string directory, DevCertificateAuthority ca, string agent, TimeSpan? lifetime)
    {
        var agentDir = Path.Combine(directory, agent);
        CreateDirectory(agentDir, true);
        using var svid = ca.IssueSvid(SpiffeId.FromSegments(ca.TrustDomain, agent), lifetime);
        // Key first, then the certificate: a watcher reloading between the two sees a mismatch and retries,
        // never a certificate paired with a stale key.
        WritePrivate(Path.Combine(agentDir, KeyFile), svid.ExportPrivateKeyPem());
        WriteAtomically(Path.Combine(agentDir, SvidFile), svid.ExportCertificatesPem(), null);
        return (svid.SerialNumber, svid.NotAfter);
    }

    private static void CreateDirectory(string path, bool restricted)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        CreateUnixDirectory(path, restricted);
    }

    [UnsupportedOSPlatform("windows")]
    private static void CreateUnixDirectory(string path, bool restricted) =>
        Directory.CreateDirectory(path, restricted
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
              | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

    private static void WriteAtomically(string path, string content, UnixFileMode? mode)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (mode is { } m && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = m;
        }
        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
            }
            File.Move(temp, path, true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
