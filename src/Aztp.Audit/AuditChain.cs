using System.Buffers;
using System.Security.Cryptography;

namespace Aztp.Audit;

/// <summary>
/// The hash chain every audit store uses (docs/audit.md, "Chain"): each record's <c>hash</c> is
/// SHA-256(<c>prevHash</c> as 32 raw bytes ‖ the record's payload bytes), written as 64 lower-case hex digits; the first
/// record's <c>prevHash</c> is <see cref="GenesisHash"/>. The payload of an event record is the event's canonical JSON
/// (<see cref="Core.SecurityEventJson"/>); that of a checkpoint is the checkpoint's JSON.
/// </summary>
public static class AuditChain
{
    /// <summary>The <c>prevHash</c> of the first record of a chain: 64 zeros.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Computes the hash of a record from its predecessor's hash and its payload.</summary>
    /// <param name="prevHash">The previous record's hash (64 lower-case hex digits), or <see cref="GenesisHash"/>.</param>
    /// <param name="payload">The record's payload bytes (UTF-8 JSON).</param>
    /// <exception cref="FormatException"><paramref name="prevHash"/> is not 64 lower-case hex digits.</exception>
    public static string ComputeHash(string prevHash, ReadOnlySpan<byte> payload)
    {
        Span<byte> prev = stackalloc byte[32];
        if (!TryParseHash(prevHash, prev))
        {
            throw new FormatException("A chain hash must be 64 lower-case hexadecimal digits.");
        }
        Span<byte> hash = stackalloc byte[32];
        ComputeHash(prev, payload, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>True when <paramref name="text"/> is a well-formed chain hash (64 lower-case hex digits).</summary>
    public static bool IsWellFormedHash([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text) =>
        text is { Length: 64 } && !text.AsSpan().ContainsAnyExcept(LowerHexDigits);

    internal static bool TryParseHash(string? text, Span<byte> destination) =>
        IsWellFormedHash(text) && Convert.FromHexString(text.AsSpan(), destination, out _, out var written) == OperationStatus.Done && written == 32;

    /// <summary>
    /// Advances a chain in place: <paramref name="state"/> holds the previous hash (32 raw bytes) and receives the new
    /// one; returns the new hash as text. Avoids hex-parsing the previous hash once per record.
    /// </summary>
    internal static string Advance(Span<byte> state, ReadOnlySpan<byte> payload)
    {
        ComputeHash(state, payload, state);
        return Convert.ToHexStringLower(state);
    }

    /// <summary>True when <paramref name="hash"/> is the lower-case hex form of <paramref name="raw"/> (32 bytes).</summary>
    internal static bool HexEquals(ReadOnlySpan<byte> raw, string hash)
    {
        Span<char> text = stackalloc char[64];
        return Convert.TryToHexStringLower(raw, text, out var written) && written == 64 && text.SequenceEqual(hash);
    }

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    // destination may overlap prevHash: prevHash is copied out before the hash is written.
    internal static void ComputeHash(ReadOnlySpan<byte> prevHash, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var length = 32 + payload.Length;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        prevHash.CopyTo(buffer);
        payload.CopyTo(buffer[32..]);
        SHA256.HashData(buffer, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
