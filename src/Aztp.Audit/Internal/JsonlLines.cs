using System.Runtime.CompilerServices;

namespace Aztp.Audit.Internal;

/// <summary>A buffer's worth of complete JSONL lines: <c>Lines[0..Count)</c> index into <c>Buffer</c>; line numbers start after <c>FirstLineNumber</c>.</summary>
internal readonly record struct JsonlChunk(byte[] Buffer, (int Start, int Length)[] Lines, int Count, long FirstLineNumber);

/// <summary>Reads a JSONL audit file line by line as records, in file order.</summary>
internal static class JsonlLines
{
    public static async IAsyncEnumerable<AuditRecord> ReadAsync(string path, long startOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in ReadChunksAsync(path, startOffset, cancellationToken).ConfigureAwait(false))
        {
            var parsed = ParseAll(chunk.Buffer, chunk.Lines.AsMemory(0, chunk.Count), chunk.FirstLineNumber);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (parsed[i].Error is { } error)
                {
                    // The first malformed line, after every record before it: as if read one by one.
                    throw error;
                }
                yield return parsed[i].Record!;
            }
        }
    }

    /// <summary>
    /// The file's complete lines, a buffer's worth at a time, in file order (without their newlines). A chunk is valid
    /// until the next one is requested (the buffer is reused). A torn final line ends the enumeration with an
    /// <see cref="AuditStoreException"/> (<see cref="AuditStoreException.IsTornTail"/>) after every complete line.
    /// </summary>
    public static async IAsyncEnumerable<JsonlChunk> ReadChunksAsync(string path, long startOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan | FileOptions.Asynchronous,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditStoreException($"Cannot open audit file '{path}': {ex.Message}", ex);
        }
        Stream source = stream;
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            source = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress);
        }
        else
        {
            stream.Seek(startOffset, SeekOrigin.Begin);
        }
        await using (source.ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            var lines = new (int Start, int Length)[4096];
            int filled = 0;
            long lineNumber = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var read = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (filled > 0)
                    {
                        throw new AuditStoreException($"Line {lineNumber + 1} is incomplete: the file ends in the middle of a record.", lineNumber + 1, tornTail: true);
                    }
                    yield break;
                }
                filled += read;
                var start = 0;
                var count = 0;
                while (true)
                {
                    var nl = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }
                    if (count == lines.Length)
                    {
                        Array.Resize(ref lines, lines.Length * 2);
                    }
                    lines[count++] = (start, nl);
                    start += nl + 1;
                }
                if (count > 0)
                {
                    yield return new JsonlChunk(buffer, lines, count, lineNumber);
                }
                lineNumber += count;
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
        }
    }

    private const int MinLinesPerWorker = 256;

    // Lines are independent: parse a buffer's worth on all cores. Each slot gets its record or its parse error.
    private static (AuditRecord? Record, AuditStoreException? Error)[] ParseAll(byte[] buffer, ReadOnlyMemory<(int Start, int Length)> lines, long firstLineNumber)
    {
        var results = new (AuditRecord?, AuditStoreException?)[lines.Length];
        var workers = Math.Min(Environment.ProcessorCount, lines.Length / MinLinesPerWorker);
        if (workers <= 1)
        {
            ParseRange(buffer, lines.Span, firstLineNumber, results, 0, lines.Length);
            return results;
        }
        var per = (lines.Length + workers - 1) / workers;
        Parallel.For(0, workers, w => ParseRange(buffer, lines.Span, firstLineNumber, results, w * per, Math.Min(lines.Length, (w + 1) * per)));
        return results;
    }

    private static void ParseRange(byte[] buffer, ReadOnlySpan<(int Start, int Length)> lines, long firstLineNumber,
        (AuditRecord?, AuditStoreException?)[] results, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            try
            {
                results[i] = (JsonlFormat.ParseLine(buffer.AsSpan(lines[i].Start, lines[i].Length), firstLineNumber + i + 1), null);
            }
            catch (AuditStoreException ex)
            {
                results[i] = (null, ex);
                return;
            }
        }
    }

    /// <summary>
    /// The last complete line of the file and the length of the file up to the end of it (a torn final line, from a write
    /// cut short, lies beyond that length). Null record for a file with no complete line.
    /// </summary>
    public static (AuditRecord? Last, long CompleteLength) ReadTail(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return (null, 0);
        }
        var chunk = 64 * 1024;
        while (true)
        {
            var from = Math.Max(0, length - chunk);
            var size = (int)(length - from);
            var buffer = new byte[size];
            stream.Seek(from, SeekOrigin.Begin);
            stream.ReadExactly(buffer);
            var lastNl = buffer.AsSpan().LastIndexOf((byte)'\n');
            if (lastNl < 0)
            {
                if (from == 0)
                {
                    return (null, 0);
                }
                chunk *= 2;
                continue;
            }
            var prevNl = buffer.AsSpan(0, lastNl).LastIndexOf((byte)'\n');
            if (prevNl < 0 && from > 0)
            {
                chunk *= 2;
                continue;
            }
            var line = buffer.AsSpan(prevNl + 1, lastNl - prevNl - 1);
            return (JsonlFormat.ParseLine(line, -1), from + lastNl + 1);
        }
    }
}
