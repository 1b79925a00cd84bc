using System.Security.Cryptography;

namespace Aztp.Core.Internal;

/// <summary>
/// Event ids: ULIDs (48-bit millisecond time, 80 further bits, Crockford base32) prefixed with <c>evt_</c>. The 80 bits
/// are a 16-bit stream number and a 64-bit counter, so ids from different streams never meet and ids within a stream
/// are told apart by their counter alone.
/// </summary>
/// <remarks>
/// <para>Two kinds of stream give out ids. A monitor's ring is one (<see cref="Stream"/>, numbers 1–65535): the id of an
/// event it accepts is the event's millisecond and the ring position the emitter already reserved, so numbering costs
/// the emitter no shared write at all. Everything else takes an id when it is first read, from the process-wide stream 0
/// (<see cref="Next"/>): a state per millisecond with a random start and an atomic sequence, as a monotonic ULID.</para>
/// <para>Counters start at random values below 2^63 and so never wrap. The text form is made only when the id is first
/// read (<see cref="Format"/>).</para>
/// </remarks>
internal static class EventId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Length = 30;
    private static Base? s_state;
    private static int s_streams;

    /// <summary>The next id of stream 0 at <paramref name="now"/>'s millisecond (or the latest one already used).</summary>
    public static UInt128 Next(DateTimeOffset now)
    {
        var state = NextPosition(now, out var sequence);
        return state.At(state.Ms, sequence);
    }

    /// <summary>
    /// The next id of stream 0 as its millisecond state and sequence number (<c>state.At(state.Ms, sequence)</c> is
    /// its value).
    /// </summary>
    public static Base NextPosition(DateTimeOffset now, out long sequence)
    {
        long ms = Math.Max(0, now.ToUnixTimeMilliseconds());
        while (true)
        {
            var current = Volatile.Read(ref s_state);
            if (current is null || ms > current.Ms)
            {
                // A later millisecond (an earlier one, after a clock step, keeps counting in the last state).
                var fresh = new Base(ms, 0, RandomStart());
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

    private static ulong RandomStart()
    {
        Span<byte> r = stackalloc byte[8];
        RandomNumberGenerator.Fill(r);
        return BitConverter.ToUInt64(r) >> 1;
    }

    /// <summary>
    /// Where a run of ids starts: a stream number and a counter value, and for stream 0 also the millisecond (a ring's
    /// ids take the millisecond of their event). An event keeps a reference to one and a 31-bit offset from it.
    /// </summary>
    internal sealed class Base(long ms, ushort stream, ulong start, long run = 0)
    {
        private readonly ulong _start = start;
        private readonly ushort _stream = stream;

        /// <summary>The millisecond of stream 0's state; -1 for a ring's runs.</summary>
        public long Ms { get; } = ms;

        /// <summary>A ring's runs: which run of 2^31 positions this is.</summary>
        public long Run { get; } = run;

        /// <summary>Stream 0 only: how many ids after the first this millisecond has given out.</summary>
        public long Sequence;

        public UInt128 At(long ms, long offset) =>
            ((UInt128)(ulong)ms << 80) | ((UInt128)_stream << 64) | (_start + (ulong)offset);
    }

    /// <summary>
    /// The ids of one monitor's ring: position <c>p</c> of the ring is counter <c>start + p</c> of the stream. Runs of
    /// 2^31 positions share one <see cref="Base"/>, so an event holds its position as an int offset.
    /// </summary>
    internal sealed class Stream
    {
        public const int RunBits = 31;
        private const long OffsetMask = (1L << RunBits) - 1;
        private readonly ushort _number;
        private readonly ulong _start;
        private Base _run;

        public Stream()
        {
            // Numbers 1–65535 in turn; past 65,535 monitors in one process two may share a number, and their ids then
            // stay apart by their random starts.
            _number = (ushort)(1 + ((uint)Interlocked.Increment(ref s_streams) - 1) % ushort.MaxValue);
            _start = RandomStart();
            _run = new Base(-1, _number, _start);
        }

        /// <summary>The run holding ring position <paramref name="position"/> and the position's offset in it.</summary>
        public Base RunOf(long position, out int offset)
        {
            offset = (int)(position & OffsetMask);
            var index = position >> RunBits;
            var run = Volatile.Read(ref _run);
            return run.Run == index ? run : NextRun(run, index);
        }

        // Once per 2^31 positions (a straggler from the run before gets a run of its own, equal in value).
        private Base NextRun(Base current, long index)
        {
            var run = new Base(-1, _number, _start + ((ulong)index << RunBits), index);
            if (index > current.Run)
            {
                Interlocked.CompareExchange(ref _run, run, current);
            }
            return run;
        }
    }
}
