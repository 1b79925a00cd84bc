namespace Aztp.Core.Internal;

/// <summary>
/// A few string instances that <see cref="EventRedactor"/> has scanned and found clean (no PEM block, no JWT),
/// remembered by reference so that the same instance met again — a method name, a caller's SPIFFE ID, a peer address,
/// reused by one event after another — is not scanned again. Strings are immutable, so an instance found clean stays
/// clean; only the instance is remembered (compared with <see cref="object.ReferenceEquals"/>, never by content), so a
/// new string with the same or any other content is always scanned. Whether a key is sensitive is decided apart from
/// this, before any value is looked at. Safe for concurrent use without locks (one per monitor, used by every emitting
/// thread): a slot is only ever written with an instance just found clean (reference writes are atomic) and the next
/// slot index is always read and written in range, so racing writers can at worst overwrite each other's entries
/// (costing a later rescan), never make an unscanned instance look clean.
/// </summary>
internal sealed class CleanStrings
{
    // Enough for the handful of strings an agent's rpc, policy and identity events repeat; a linear scan of this many
    // references costs less than one scan of a short string. Replacement is round-robin: no bookkeeping on a hit.
    public const int DefaultCapacity = 32;

    private readonly string?[] _slots;
    private int _next;

    public CleanStrings(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new string?[capacity];
    }

    /// <summary>Whether this very instance was found clean (and is still remembered).</summary>
    public bool Contains(string value)
    {
        foreach (var slot in _slots)
        {
            if (ReferenceEquals(slot, value))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Remembers an instance that was just scanned and found clean, replacing the oldest entry when full.</summary>
    public void Add(string value)
    {
        var next = Volatile.Read(ref _next);
        _slots[next] = value;
        Volatile.Write(ref _next, next + 1 == _slots.Length ? 0 : next + 1);
    }
}
