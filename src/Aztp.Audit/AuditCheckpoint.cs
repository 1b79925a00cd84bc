using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Aztp.Core;

namespace Aztp.Audit;

/// <summary>
/// A signed statement that record <see cref="CoveredSeq"/> of a chain has hash <see cref="CoveredHash"/>. It is stored as
/// the next record of the same chain. The signature covers <see cref="SigningInput"/> (docs/audit.md, "Checkpoints").
/// </summary>
public sealed class AuditCheckpoint
{
    /// <summary>The first line of the signing input; changes with any change of the signed fields.</summary>
    public const string SigningInputPrefix = "aztp-audit-checkpoint-v1";

    /// <summary>Creates a checkpoint from its fields.</summary>
    /// <exception cref="ArgumentException">A field is malformed.</exception>
    public AuditCheckpoint(long coveredSeq, string coveredHash, DateTimeOffset timestamp, string agentId, string spiffeId,
        string algorithm, IReadOnlyList<byte[]> certificates, byte[] signature)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(coveredSeq);
        if (!AuditChain.IsWellFormedHash(coveredHash))
        {
            throw new ArgumentException("coveredHash must be 64 lower-case hex digits.", nameof(coveredHash));
        }
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentException.ThrowIfNullOrEmpty(spiffeId);
        ArgumentException.ThrowIfNullOrEmpty(algorithm);
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(signature);
        if (certificates.Count == 0)
        {
            throw new ArgumentException("A checkpoint carries at least the signing certificate.", nameof(certificates));
        }
        CoveredSeq = coveredSeq;
        CoveredHash = coveredHash;
        var utc = timestamp.ToUniversalTime();
        Timestamp = new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        AgentId = agentId;
        SpiffeId = spiffeId;
        Algorithm = algorithm;
        Certificates = certificates;
        Signature = signature;
    }

    /// <summary>The seq of the record the checkpoint vouches for (the record just before it).</summary>
    public long CoveredSeq { get; }

    /// <summary>The hash of that record.</summary>
    public string CoveredHash { get; }

    /// <summary>When the checkpoint was signed (UTC, milliseconds); the signer's certificate must be valid then.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The writing agent's name.</summary>
    public string AgentId { get; }

    /// <summary>The SPIFFE ID of the signing SVID.</summary>
    public string SpiffeId { get; }

    /// <summary>ES256, ES384, ES512 or RS256.</summary>
    public string Algorithm { get; }

    /// <summary>DER certificates: the signing leaf first, then intermediates.</summary>
    public IReadOnlyList<byte[]> Certificates { get; }

    /// <summary>The signature over <see cref="SigningInput"/>.</summary>
    public byte[] Signature { get; }

    /// <summary>The timestamp as written: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public string TimestampText => Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The signed bytes: UTF-8 of <c>aztp-audit-checkpoint-v1</c>, coveredSeq (decimal), coveredHash, timestamp, agentId
    /// and spiffeId, joined by <c>\n</c> with no trailing newline.
    /// </summary>
    public byte[] SigningInput() => BuildSigningInput(CoveredSeq, CoveredHash, TimestampText, AgentId, SpiffeId);

    internal static byte[] BuildSigningInput(long coveredSeq, string coveredHash, string timestamp, string agentId, string spiffeId) =>
        Encoding.UTF8.GetBytes(string.Join('\n', SigningInputPrefix, coveredSeq.ToString(CultureInfo.InvariantCulture), coveredHash, timestamp, agentId, spiffeId));

    /// <summary>Signs a new checkpoint over a record.</summary>
    public static AuditCheckpoint Create(AuditSigner signer, long coveredSeq, string coveredHash, DateTimeOffset timestamp, string agentId)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var unsigned = new AuditCheckpoint(coveredSeq, coveredHash, timestamp, agentId, signer.SpiffeId, signer.Algorithm, signer.CertificateChain, []);
        return new AuditCheckpoint(coveredSeq, coveredHash, unsigned.Timestamp, agentId, signer.SpiffeId, signer.Algorithm,
            signer.CertificateChain, signer.Sign(unsigned.SigningInput()));
    }

    /// <summary>The checkpoint JSON (the record payload): fixed field order, compact, UTF-8.</summary>
    public byte[] ToJsonBytes()
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, SecurityEventJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("coveredSeq"u8, CoveredSeq);
            writer.WriteString("coveredHash"u8, CoveredHash);
            writer.WriteString("timestamp"u8, TimestampText);
            writer.WriteString("agentId"u8, AgentId);
            writer.WriteString("spiffeId"u8, SpiffeId);
            writer.WriteString("alg"u8, Algorithm);
            writer.WriteStartArray("x5c"u8);
            foreach (var cert in Certificates)
            {
                writer.WriteBase64StringValue(cert);
            }
            writer.WriteEndArray();
            writer.WriteBase64String("signature"u8, Signature);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses checkpoint JSON.</summary>
    /// <exception cref="FormatException">The JSON is not a well-formed checkpoint.</exception>
    public static AuditCheckpoint Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A checkpoint is a JSON object.");
            }
            var certs = new List<byte[]>();
            foreach (var cert in Required(root, "x5c").EnumerateArray())
            {
                certs.Add(cert.GetBytesFromBase64());
            }
            var ts = Required(root, "timestamp").GetString()!;
            if (!DateTimeOffset.TryParseExact(ts, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
            {
                throw new FormatException($"Checkpoint timestamp '{ts}' is not yyyy-MM-ddTHH:mm:ss.fffZ.");
            }
            return new AuditCheckpoint(
                Required(root, "coveredSeq").GetInt64(),
                Required(root, "coveredHash").GetString()!,
                timestamp,
                Required(root, "agentId").GetString()!,
                Required(root, "spiffeId").GetString()!,
                Required(root, "alg").GetString()!,
                certs,
                Required(root, "signature").GetBytesFromBase64());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"Malformed checkpoint: {ex.Message}", ex);
        }
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value : throw new FormatException($"Checkpoint field '{name}' is missing.");

    /// <summary>True when the signature verifies with the public key of the first certificate (trust is checked separately).</summary>
    public bool HasValidSignature()
    {
        try
        {
            using var leaf = X509CertificateLoader.LoadCertificate(Certificates[0]);
            return VerifySignature(Algorithm, leaf, SigningInput(), Signature);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static bool VerifySignatureSafe(string algorithm, X509Certificate2 leaf, byte[] data, byte[] signature)
    {
        try
        {
            return VerifySignature(algorithm, leaf, data, signature);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static HashAlgorithmName HashFor(string algorithm) => algorithm switch
    {
        "ES256" or "RS256" => HashAlgorithmName.SHA256,
        "ES384" => HashAlgorithmName.SHA384,
        "ES512" => HashAlgorithmName.SHA512,
        _ => throw new CryptographicException($"Unsupported checkpoint algorithm '{algorithm}'."),
    };

    internal static bool VerifySignature(string algorithm, X509Certificate2 leaf, byte[] data, byte[] signature)
    {
        switch (algorithm)
        {
            case "ES256" or "ES384" or "ES512":
                using (var ec = leaf.GetECDsaPublicKey())
                {
                    return ec is not null && ec.VerifyData(data, signature, HashFor(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                }
            case "RS256":
                using (var rsa = leaf.GetRSAPublicKey())
                {
                    return rsa is not null && rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }
            default:
                return false;
        }
    }
}
