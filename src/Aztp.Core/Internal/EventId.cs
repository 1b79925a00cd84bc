using System.Security.Cryptography;

namespace Aztp.Core.Internal;

/// <summary>
/// Monotonic ULIDs (48-bit millisecond time, 80 random bits, Crockford base32) prefixed with <c>evt_</c>.
/// Within one millisecond the random part is incremented, so ids sort in creation order within a process.
/// </summary>
/// <remarks>
/// One immutable-base state object per millisecond (its time and random start) carries an atomic sequence number:
/// an id costs one interlocked increment and allocates nothing, and a new state (with fresh randomness) is made only
/// when the clock moves to a later millisecond. An id is taken from a state only if that state is still the current
/// one after the increment, so an id never sorts before an id that was completed earlier. The text form is made only
/// when it is first read (<see cref="Format"/>).
/// </remarks>
internal static class EventId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Length = 30;
    private static State? s_state;

    /// <summary>The next id's 128 bits: the high word holds the 48-bit time and the top 16 random bits.</summary>
    public static UInt128 Next(DateTimeOffset now) => NextPosition(now, out var sequence).At(sequence);

    /// <summary>
    /// The next id as its millisecond state and sequence number (<c>state.At(sequence)</c> is its value), so that an
    /// event can keep a reference and a number instead of the 128 bits.
    /// </summary>
    public static State NextPosition(DateTimeOffset now, out long sequence)
    {
        long ms = Math.Max(0, now.ToUnixTimeMilliseconds());
        while (true)
        {
            var current = Volatile.Read(ref s_state);
            if (current is null || ms > current.Ms)
            {
                // A later millisecond (an earlier one, after a clock step, keeps counting in the last state).
                var fresh = new State(ms);
                if (ReferenceEquals(Interlocked.CompareExchange(ref s_state, fresh, current), current))
                {
                    sequence = 0;
                    return fresh;
                }
                continue;
            }
            var next = Interlocked.Increment(ref current.Sequence);
            if (ReferenceEquals(Volatile.Read(ref s_state), current))
            {
                sequence = next;
                return current;
            }
            // The state moved on between the read and the increment: take an id from the new one.
        }
    }

    /// <summary>The text form: <c>evt_</c> and 26 Crockford base32 characters.</summary>
    public static string Format(UInt128 value) => string.Create(Length, value, static (span, v) => Write(span, v));

    /// <summary>Writes the text form into 30 characters.</summary>
    public static void Write(Span<char> destination, UInt128 value)
    {
        "evt_".AsSpan().CopyTo(destination);
        var dst = destination[4..Length];
        // 26 characters of 5 bits each = 130 bits; the top 2 are zero (10 time characters hold 50 bits for 48).
        for (var i = 25; i >= 0; i--)
        {
            dst[i] = Alphabet[(int)(ulong)(value & 31)];
            value >>= 5;
        }
    }

    internal sealed class State
    {
        private static readonly UInt128 RandomMask = (UInt128.One << 80) - 1;
        private readonly UInt128 _start;

        public State(long ms)
        {
            Ms = ms;
            Span<byte> r = stackalloc byte[10];
            RandomNumberGenerator.Fill(r);
            _start = new UInt128((ulong)(r[0] << 8 | r[1]), BitConverter.ToUInt64(r[2..]));
        }

        public long Ms { get; }

        /// <summary>How many ids after the first this millisecond has given out.</summary>
        public long Sequence;

        // The random part counts up from its start (wrapping within 80 bits, as a ULID's increment would).
        public UInt128 At(long sequence) => ((UInt128)(ulong)Ms << 80) | ((_start + (ulong)sequence) & RandomMask);
    }
}
