using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aztp.Identity;

/// <summary>
/// The trust material of one trust domain (SPIFFE Trust Domain and Bundle §4): X.509 authorities (roots for X.509-SVID
/// chains) and JWT authorities (keys for JWT-SVID signatures, by <c>kid</c>). Loaded from PEM CA certificates or from the
/// SPIFFE bundle format (a JWK set with <c>x509-svid</c> and <c>jwt-svid</c> key uses). Immutable.
/// </summary>
public sealed class TrustBundle
{
    private readonly X509Certificate2Collection _trustStore;

    /// <summary>Creates a bundle.</summary>
    /// <param name="trustDomain">The trust domain the bundle is for.</param>
    /// <param name="x509Authorities">CA certificates that root X.509-SVID chains.</param>
    /// <param name="jwtAuthorities">Keys that sign JWT-SVIDs.</param>
    /// <param name="sequenceNumber">The <c>spiffe_sequence</c> value, when known.</param>
    /// <param name="refreshHint">The <c>spiffe_refresh_hint</c> value, when known.</param>
    /// <exception cref="ArgumentException">Two JWT authorities share a key ID.</exception>
    public TrustBundle(TrustDomain trustDomain, IEnumerable<X509Certificate2>? x509Authorities = null,
        IEnumerable<JwtAuthority>? jwtAuthorities = null, long? sequenceNumber = null, TimeSpan? refreshHint = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        TrustDomain = trustDomain;
        X509Authorities = [.. x509Authorities ?? []];
        _trustStore = [.. X509Authorities];
        var jwt = new Dictionary<string, JwtAuthority>(StringComparer.Ordinal);
        foreach (var authority in jwtAuthorities ?? [])
        {
            if (!jwt.TryAdd(authority.KeyId, authority))
            {
                throw new ArgumentException($"Duplicate JWT key ID '{authority.KeyId}' in the bundle of {trustDomain}.", nameof(jwtAuthorities));
            }
        }
        JwtAuthorities = jwt;
        SequenceNumber = sequenceNumber;
        RefreshHint = refreshHint;
    }

    /// <summary>The trust domain.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The X.509 authorities (CA certificates).</summary>
    public IReadOnlyList<X509Certificate2> X509Authorities { get; }

    /// <summary>The JWT authorities by key ID.</summary>
    public IReadOnlyDictionary<string, JwtAuthority> JwtAuthorities { get; }

    /// <summary>The bundle's <c>spiffe_sequence</c>, when it has one.</summary>
    public long? SequenceNumber { get; }

    /// <summary>The bundle's <c>spiffe_refresh_hint</c>, when it has one.</summary>
    public TimeSpan? RefreshHint { get; }

    /// <summary>The X.509 authorities as a collection for <see cref="X509ChainPolicy.CustomTrustStore"/>.</summary>
    internal X509Certificate2Collection TrustStore => _trustStore;

    /// <summary>Reads PEM CA certificates (one or more <c>CERTIFICATE</c> blocks).</summary>
    /// <exception cref="IdentityLoadException">The text has no certificate or a malformed one.</exception>
    public static TrustBundle FromPem(TrustDomain trustDomain, string pem)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(pem);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The PEM bundle for {trustDomain} has a malformed certificate.", e);
        }
        if (certificates.Count == 0)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The PEM bundle for {trustDomain} has no CERTIFICATE block.");
        }
        return new TrustBundle(trustDomain, certificates);
    }

    /// <summary>
    /// Reads a SPIFFE bundle (JWK set). Entries with <c>use</c> <c>x509-svid</c> contribute the first <c>x5c</c>
    /// certificate; entries with <c>use</c> <c>jwt-svid</c> contribute a key by <c>kid</c>. Entries of other uses are
    /// ignored, as are <c>x509-svid</c> entries without <c>x5c</c> (X509-SVID §6.2).
    /// </summary>
    /// <exception cref="IdentityLoadException">The JSON is malformed, a key entry is invalid, or nothing usable is left.</exception>
    public static TrustBundle FromSpiffeBundleJson(TrustDomain trustDomain, string json)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The SPIFFE bundle for {trustDomain} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The SPIFFE bundle for {trustDomain} is not valid JSON.", e);
        }
        if (root["keys"] is not JsonArray keys)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The SPIFFE bundle for {trustDomain} has no 'keys' array.");
        }
        var x509 = new List<X509Certificate2>();
        var jwt = new List<JwtAuthority>();
        var index = 0;
        foreach (var node in keys)
        {
            try
            {
                if (node is not JsonObject entry)
                {
                    throw new FormatException("the entry is not an object");
                }
                var use = entry["use"] is JsonValue u && u.TryGetValue<string>(out var s) ? s : null;
                if (use == "x509-svid")
                {
                    if (entry["x5c"] is JsonArray chain && chain.Count > 0)
                    {
                        var der = chain[0] is JsonValue v && v.TryGetValue<string>(out var b64) ? Convert.FromBase64String(b64)
                            : throw new FormatException("x5c[0] is not a string");
                        x509.Add(X509CertificateLoader.LoadCertificate(der));
                    }
                }
                else if (use == "jwt-svid")
                {
                    var kid = Internal.Jwk.String(entry, "kid");
                    jwt.Add(new JwtAuthority(kid, Internal.Jwk.ReadPublicKey(entry)));
                }
            }
            catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException or InvalidOperationException)
            {
                throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The SPIFFE bundle for {trustDomain} has an invalid key entry #{index}: {e.Message}", e);
            }
            index++;
        }
        long? sequence = null;
        TimeSpan? hint = null;
        try
        {
            if (root["spiffe_sequence"] is JsonValue seq)
            {
                sequence = seq.GetValue<long>();
            }
            if (root["spiffe_refresh_hint"] is JsonValue refresh)
            {
                hint = TimeSpan.FromSeconds(refresh.GetValue<long>());
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, $"The SPIFFE bundle for {trustDomain} has a non-integer spiffe_sequence or spiffe_refresh_hint.", e);
        }
        try
        {
            return new TrustBundle(trustDomain, x509, jwt, sequence, hint);
        }
        catch (ArgumentException e)
        {
            throw new IdentityLoadException(IdentityLoadError.InvalidBundle, e.Message, e);
        }
    }

    /// <summary>Reads a bundle in either format, detected from the content: JSON (starts with <c>{</c>) or PEM.</summary>
    /// <exception cref="IdentityLoadException">The content is neither a valid SPIFFE bundle nor PEM certificates.</exception>
    public static TrustBundle Parse(TrustDomain trustDomain, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return content.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal)
            ? FromSpiffeBundleJson(trustDomain, content)
            : FromPem(trustDomain, content);
    }

    /// <summary>Reads a bundle file in either format (see <see cref="Parse"/>).</summary>
    /// <exception cref="IdentityLoadException">The file is missing or invalid.</exception>
    public static TrustBundle Load(TrustDomain trustDomain, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new IdentityLoadException(IdentityLoadError.NotFound, $"The bundle file '{path}' does not exist.");
        }
        return Parse(trustDomain, File.ReadAllText(path));
    }

    /// <summary>A copy of this bundle with other JWT authorities (used to merge a PEM bundle with a JWT bundle).</summary>
    public TrustBundle WithJwtAuthorities(IEnumerable<JwtAuthority> jwtAuthorities, long? sequenceNumber = null) =>
        new(TrustDomain, X509Authorities, jwtAuthorities, sequenceNumber ?? SequenceNumber, RefreshHint);

    /// <summary>Writes the bundle in the SPIFFE bundle format.</summary>
    public string ToSpiffeBundleJson()
    {
        var keys = new JsonArray();
        foreach (var certificate in X509Authorities)
        {
            var jwk = new JsonObject { ["use"] = "x509-svid" };
            using (var ec = certificate.GetECDsaPublicKey())
            using (var rsa = certificate.GetRSAPublicKey())
            {
                Internal.Jwk.WritePublicKey(jwk, (AsymmetricAlgorithm?)ec ?? rsa
                    ?? throw new InvalidOperationException("X.509 authorities must have EC or RSA keys."));
            }
            jwk["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData));
            keys.Add(jwk);
        }
        foreach (var authority in JwtAuthorities.Values)
        {
            keys.Add(authority.ToJwk());
        }
        var root = new JsonObject { ["keys"] = keys };
        if (SequenceNumber is { } sequence)
        {
            root["spiffe_sequence"] = sequence;
        }
        if (RefreshHint is { } hint)
        {
            root["spiffe_refresh_hint"] = (long)hint.TotalSeconds;
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes the X.509 authorities as PEM.</summary>
    public string ToPem()
    {
        var builder = new StringBuilder();
        foreach (var certificate in X509Authorities)
        {
            builder.Append(certificate.ExportCertificatePem()).Append('\n');
        }
        return builder.ToString();
    }
}
