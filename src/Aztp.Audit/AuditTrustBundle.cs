using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Audit;

/// <summary>Loads the trust anchors that checkpoint signers must chain to.</summary>
public static class AuditTrustBundle
{
    /// <summary>
    /// Reads a key directory (ARCHITECTURE.md): <c>DIR/bundle.pem</c> (the trust domain's CA certificates) and every
    /// <c>DIR/federation/*.pem</c> (federated trust domains), as one flat set. Prefer
    /// <see cref="AuditVerifyOptions.FromKeyDirectory"/>, which keeps each federated CA bound to its trust domain.
    /// </summary>
    /// <exception cref="AuditStoreException">The directory has no bundle.pem, or a file holds no valid certificate.</exception>
    public static X509Certificate2Collection LoadDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var bundle = Path.Combine(directory, "bundle.pem");
        if (!File.Exists(bundle))
        {
            throw new AuditStoreException($"Trust bundle directory '{directory}' has no bundle.pem.");
        }
        var anchors = LoadPem(bundle);
        var federation = Path.Combine(directory, "federation");
        if (Directory.Exists(federation))
        {
            foreach (var file in Directory.GetFiles(federation, "*.pem").Order(StringComparer.Ordinal))
            {
                anchors.AddRange(LoadPem(file));
            }
        }
        return anchors;
    }

    /// <summary>Reads <c>DIR/federation/&lt;trust-domain&gt;.pem</c> files, keyed by trust domain (empty when there are none).</summary>
    /// <exception cref="AuditStoreException">A file holds no valid certificate.</exception>
    public static IReadOnlyDictionary<string, X509Certificate2Collection> LoadFederation(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var result = new Dictionary<string, X509Certificate2Collection>(StringComparer.Ordinal);
        var federation = Path.Combine(directory, "federation");
        if (Directory.Exists(federation))
        {
            foreach (var file in Directory.GetFiles(federation, "*.pem").Order(StringComparer.Ordinal))
            {
                result[Path.GetFileNameWithoutExtension(file).ToLowerInvariant()] = LoadPem(file);
            }
        }
        return result;
    }

    /// <summary>Reads every CERTIFICATE block of a PEM file.</summary>
    /// <exception cref="AuditStoreException">The file cannot be read or holds no valid certificate.</exception>
    public static X509Certificate2Collection LoadPem(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new AuditStoreException($"Cannot read certificates from '{path}': {ex.Message}", ex);
        }
        if (collection.Count == 0)
        {
            throw new AuditStoreException($"'{path}' holds no certificate.");
        }
        return collection;
    }
}
