using System.Collections;
using System.Text;

namespace Aztp.Grpc;

/// <summary>
/// Custom metadata of a call (request headers, response headers or trailers): an ordered list of key/value entries.
/// Keys are lower-cased ASCII (<c>0-9 a-z _ - .</c>); keys ending in <c>-bin</c> carry binary values (base64 on the
/// wire), all others carry printable ASCII strings. Duplicate keys are allowed and keep their order.
/// </summary>
public sealed class Metadata : IList<Metadata.Entry>
{
    /// <summary>The suffix that marks a binary-valued key.</summary>
    public const string BinaryHeaderSuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Always <see langword="false"/>.</summary>
    public bool IsReadOnly => false;

    /// <summary>Gets or sets the entry at an index.</summary>
    /// <param name="index">The zero-based index.</param>
    public Entry this[int index]
    {
        get => _entries[index];
        set => _entries[index] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Adds an ASCII-valued entry.</summary>
    /// <param name="key">The key; must not end in <c>-bin</c>.</param>
    /// <param name="value">The printable ASCII value.</param>
    /// <returns>This instance, for chaining.</returns>
    public Metadata Add(string key, string value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    /// <summary>Adds a binary-valued entry.</summary>
    /// <param name="key">The key; must end in <c>-bin</c>.</param>
    /// <param name="value">The bytes.</param>
    /// <returns>This instance, for chaining.</returns>
    public Metadata Add(string key, byte[] value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    /// <summary>Adds an entry.</summary>
    /// <param name="item">The entry.</param>
    public void Add(Entry item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _entries.Add(item);
    }

    /// <summary>The first entry with a key, or <see langword="null"/>.</summary>
    /// <param name="key">The key (case-insensitive).</param>
    /// <returns>The entry, or <see langword="null"/> when absent.</returns>
    public Entry? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The string value of the first entry with a key, or <see langword="null"/>.</summary>
    /// <param name="key">The key (case-insensitive).</param>
    /// <returns>The value, or <see langword="null"/> when absent or binary.</returns>
    public string? GetValue(string key) => Get(key) is { IsBinary: false } entry ? entry.Value : null;

    /// <summary>The bytes of the first entry with a key, or <see langword="null"/>.</summary>
    /// <param name="key">The key (case-insensitive).</param>
    /// <returns>The bytes, or <see langword="null"/> when absent or not binary.</returns>
    public byte[]? GetValueBytes(string key) => Get(key) is { IsBinary: true } entry ? entry.ValueBytes : null;

    /// <inheritdoc />
    public void Clear() => _entries.Clear();

    /// <inheritdoc />
    public bool Contains(Entry item) => _entries.Contains(item);

    /// <inheritdoc />
    public void CopyTo(Entry[] array, int arrayIndex) => _entries.CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    /// <inheritdoc />
    public int IndexOf(Entry item) => _entries.IndexOf(item);

    /// <inheritdoc />
    public void Insert(int index, Entry item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _entries.Insert(index, item);
    }

    /// <inheritdoc />
    public bool Remove(Entry item) => _entries.Remove(item);

    /// <inheritdoc />
    public void RemoveAt(int index) => _entries.RemoveAt(index);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Whether a key names a binary-valued entry.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when the key ends in <c>-bin</c>.</returns>
    public static bool IsBinaryKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.EndsWith(BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>One metadata entry.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        /// <summary>Creates an ASCII-valued entry.</summary>
        /// <param name="key">The key; must not end in <c>-bin</c>.</param>
        /// <param name="value">The value: printable ASCII (0x20-0x7E).</param>
        /// <exception cref="ArgumentException">The key or value is not valid for gRPC metadata.</exception>
        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            ArgumentNullException.ThrowIfNull(value);
            if (IsBinaryKey(Key))
            {
                throw new ArgumentException($"Metadata key '{Key}' ends in '-bin' and needs a byte[] value.", nameof(value));
            }

            if (!IsPrintableAscii(value))
            {
                throw new ArgumentException($"Metadata value of '{Key}' must be printable ASCII (0x20-0x7E); use a '-bin' key for other data.", nameof(value));
            }

            _value = value;
        }

        /// <summary>Creates a binary-valued entry.</summary>
        /// <param name="key">The key; must end in <c>-bin</c>.</param>
        /// <param name="value">The bytes.</param>
        /// <exception cref="ArgumentException">The key does not end in <c>-bin</c> or is not valid.</exception>
        public Entry(string key, byte[] value)
        {
            Key = NormalizeKey(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!IsBinaryKey(Key))
            {
                throw new ArgumentException($"Metadata key '{Key}' carries bytes and must end in '-bin'.", nameof(key));
            }

            _bytes = value;
        }

        /// <summary>The lower-cased key.</summary>
        public string Key { get; }

        /// <summary>Whether the value is binary.</summary>
        public bool IsBinary => _bytes is not null;

        /// <summary>The string value.</summary>
        /// <exception cref="InvalidOperationException">The entry is binary.</exception>
        public string Value => _value ?? throw new InvalidOperationException($"Metadata entry '{Key}' is binary; read ValueBytes.");

        /// <summary>The binary value.</summary>
        /// <exception cref="InvalidOperationException">The entry is not binary.</exception>
        public byte[] ValueBytes => _bytes ?? throw new InvalidOperationException($"Metadata entry '{Key}' is not binary; read Value.");

        /// <inheritdoc />
        public override string ToString() => IsBinary ? $"{Key}: <{_bytes!.Length} bytes>" : $"{Key}: {_value}";

        // The characters a normalized key may hold (gRPC: 0-9 a-z _ - .), checked in one vectorized pass.
        private static readonly System.Buffers.SearchValues<char> KeyChars =
            System.Buffers.SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyz-_.");

        /// <summary>Whether every character is printable ASCII (0x20-0x7E), the rule for ASCII metadata values.</summary>
        internal static bool IsPrintableAscii(string value) => !value.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E);

        private static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            if (!key.AsSpan().ContainsAnyExcept(KeyChars))
            {
                return key;
            }

            var builder = new StringBuilder(key.Length);
            foreach (var c in key)
            {
                var lower = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
                if (lower is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
                {
                    throw new ArgumentException($"Metadata key '{key}' contains '{c}'; keys allow only 0-9 a-z _ - .", nameof(key));
                }

                builder.Append(lower);
            }

            return builder.ToString();
        }
    }
}
