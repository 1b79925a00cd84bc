using System.Security.Cryptography;

namespace Aztp.Core.Internal;

/// <summary>
/// Monotonic ULIDs (48-bit millisecond time, 80 random bits, Crockford base32) prefixed with <c>evt_</c>.
/// Within one millisecond the random part is incremented, so ids sort in creation order within a process.
/// The state (time and random part) is one immutable object replaced by compare-and-swap: emitters on many threads
/// never wait on a lock, and each id is taken from exactly one state.
/// </summary>
internal static class EventId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static State s_state = new(-1, 0, 0);

    public static string Next(DateTimeOffset now)
    {
        long ms = Math.Max(0, now.ToUnixTimeMilliseconds());
        Span<byte> r = stackalloc byte[10];
        State next;
        while (true)
        {
            var current = Volatile.Read(ref s_state);
            if (ms > current.Ms)
            {
                RandomNumberGenerator.Fill(r);
                next = new State(ms, (ulong)(r[0] << 8 | r[1]), BitConverter.ToUInt64(r[2..]));
            }
            else
            {
                // Same (or an earlier, clock-stepped) millisecond: keep the last time and increment the random part.
                var lo = current.Lo + 1;
                next = new State(current.Ms, lo == 0 ? (current.Hi + 1) & 0xFFFF : current.Hi, lo);
            }
            if (ReferenceEquals(Interlocked.CompareExchange(ref s_state, next, current), current))
            {
                break;
            }
        }
        return string.Create(30, next, static (span, state) =>
        {
            "evt_".AsSpan().CopyTo(span);
            var dst = span[4..];
            var t = state.Ms;
            // 10 characters of time (50 bits, top 2 zero).
            for (var i = 9; i >= 0; i--)
            {
                dst[i] = Alphabet[(int)(t & 31)];
                t >>= 5;
            }
            // 16 characters of randomness (80 bits): hi (16 bits) then lo (64 bits).
            var rnd = new UInt128(state.Hi, state.Lo);
            for (var i = 25; i >= 10; i--)
            {
                dst[i] = Alphabet[(int)(ulong)(rnd & 31)];
                rnd >>= 5;
            }
        });
    }

    private sealed class State(long ms, ulong hi, ulong lo)
    {
        public long Ms { get; } = ms;

        public ulong Hi { get; } = hi;

        public ulong Lo { get; } = lo;
    }
}
