using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Internal;

/// <summary>
/// Remembers chains that validated. The lookup hash is computed over the DER bytes of the leaf and intermediates, and a
/// hit requires a byte-for-byte match of every certificate, so a colliding or altered chain is always a miss. An entry is
/// used only while "now" is within the chain's combined validity and the bundle generation is unchanged. Bounded: when
/// full, the cache is emptied (validation is correct without it; only speed is lost).
/// </summary>
internal sealed class ValidatedChainCache(int capacity)
{
    private readonly ConcurrentDictionary<int, Entry> _entries = new();

    internal int Count => _entries.Count;

    internal bool TryGet(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, DateTimeOffset now, long generation, out X509SvidValidationResult result)
    {
        result = null!;
        var leafBytes = leaf.RawDataMemory.Span;
        if (!_entries.TryGetValue(Hash(leafBytes, intermediates), out var entry))
        {
            return false;
        }
        if (entry.Generation != generation || now < entry.NotBefore || now > entry.Result.NotAfter)
        {
            return false;
        }
        if (!leafBytes.SequenceEqual(entry.Leaf) || entry.Intermediates.Length != intermediates.Count)
        {
            return false;
        }
        for (var i = 0; i < intermediates.Count; i++)
        {
            if (!intermediates[i].RawDataMemory.Span.SequenceEqual(entry.Intermediates[i]))
            {
                return false;
            }
        }
        result = entry.Result;
        return true;
    }

    internal void Add(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, X509SvidValidationResult result, DateTimeOffset notBefore, long generation)
    {
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }
        var stored = new byte[intermediates.Count][];
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = intermediates[i].RawDataMemory.ToArray();
        }
        var leafBytes = leaf.RawDataMemory.ToArray();
        _entries[Hash(leafBytes, intermediates)] = new Entry(leafBytes, stored, result, notBefore, generation);
    }

    internal void Clear() => _entries.Clear();

    private static int Hash(ReadOnlySpan<byte> leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        var hash = default(HashCode);
        hash.AddBytes(leaf);
        for (var i = 0; i < intermediates.Count; i++)
        {
            hash.AddBytes(intermediates[i].RawDataMemory.Span);
        }
        return hash.ToHashCode();
    }

    private sealed record Entry(byte[] Leaf, byte[][] Intermediates, X509SvidValidationResult Result, DateTimeOffset NotBefore, long Generation);
}
