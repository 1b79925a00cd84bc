using System.Security.Cryptography;

namespace Aztp.Core.Internal;

/// <summary>
/// Monotonic ULIDs (48-bit millisecond time, 80 random bits, Crockford base32) prefixed with <c>evt_</c>.
/// Within one millisecond the random part is incremented, so ids sort in creation order within a process.
/// </summary>
internal static class EventId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly Lock Gate = new();
    private static long s_lastMs = -1;
    private static ulong s_randHi; // 16 bits used
    private static ulong s_randLo; // 64 bits

    public static string Next(DateTimeOffset now)
    {
        long ms = Math.Max(0, now.ToUnixTimeMilliseconds());
        ulong hi, lo;
        lock (Gate)
        {
            if (ms > s_lastMs)
            {
                Span<byte> r = stackalloc byte[10];
                RandomNumberGenerator.Fill(r);
                s_randHi = (ulong)(r[0] << 8 | r[1]);
                s_randLo = BitConverter.ToUInt64(r[2..]);
                s_lastMs = ms;
            }
            else
            {
                // Same (or an earlier, clock-stepped) millisecond: keep the last time and increment the random part.
                ms = s_lastMs;
                s_randLo++;
                if (s_randLo == 0)
                {
                    s_randHi = (s_randHi + 1) & 0xFFFF;
                }
            }
            hi = s_randHi;
            lo = s_randLo;
        }
        return string.Create(30, (ms, hi, lo), static (span, state) =>
        {
            "evt_".AsSpan().CopyTo(span);
            var dst = span[4..];
            var (t, h, l) = state;
            // 10 characters of time (50 bits, top 2 zero).
            for (var i = 9; i >= 0; i--)
            {
                dst[i] = Alphabet[(int)(t & 31)];
                t >>= 5;
            }
            // 16 characters of randomness (80 bits): h (16 bits) then l (64 bits).
            var r = new UInt128(h, l);
            for (var i = 25; i >= 10; i--)
            {
                dst[i] = Alphabet[(int)(ulong)(r & 31)];
                r >>= 5;
            }
        });
    }
}
