using System.Buffers;

namespace Aztp.Audit.Internal;

/// <summary>
/// An ordered queue of records waiting for a database: up to a bounded number in memory, then appended to a spill file
/// (JSONL records). Order is preserved: once spilling starts, every new record goes to the file until the writer has
/// drained it. Records leave only when the writer acknowledges them as stored.
/// </summary>
internal sealed class SpillQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<AuditRecord> _memory = new();
    private readonly int _capacity;
    private readonly string _spillPath;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private FileStream? _spill;
    private long _spillRead;
    private long _spillCount;
    private List<AuditRecord>? _spillPeeked;
    private List<long>? _spillPeekedEnds;
    private TaskCompletionSource _empty = Completed();

    public SpillQueue(int capacity, string spillPath)
    {
        _capacity = capacity;
        _spillPath = spillPath;
    }

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _memory.Count + _spillCount;
            }
        }
    }

    public bool IsSpilling
    {
        get
        {
            lock (_gate)
            {
                return _spill is not null;
            }
        }
    }

    /// <summary>Loads records left in the spill file by an earlier run (they precede anything enqueued now).</summary>
    public AuditRecord? Recover()
    {
        if (!File.Exists(_spillPath) || new FileInfo(_spillPath).Length == 0)
        {
            return null;
        }
        lock (_gate)
        {
            OpenSpill();
            var (last, complete) = JsonlLines.ReadTail(_spill!);
            _spill!.SetLength(complete);
            _spill.Seek(0, SeekOrigin.End);
            _spillCount = CountLines(_spill);
            if (_spillCount > 0)
            {
                _empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return last;
        }
    }

    public void Enqueue(IReadOnlyList<AuditRecord> records)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                if (_spill is null && _memory.Count < _capacity)
                {
                    _memory.Enqueue(record);
                    continue;
                }
                if (_spill is null)
                {
                    OpenSpill();
                }
                JsonlFormat.WriteLine(_buffer, record);
                _spillCount++;
            }
            if (_buffer.WrittenCount > 0)
            {
                _spill!.Write(_buffer.WrittenSpan);
                _spill.Flush();
                _buffer.ResetWrittenCount();
            }
            if (records.Count > 0 && _empty.Task.IsCompleted)
            {
                _empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>The oldest records, up to <paramref name="max"/>, without removing them.</summary>
    public List<AuditRecord> Peek(int max)
    {
        lock (_gate)
        {
            if (_memory.Count > 0)
            {
                return [.. _memory.Take(max)];
            }
            if (_spill is null || _spillCount == 0)
            {
                return [];
            }
            if (_spillPeeked is null)
            {
                (_spillPeeked, _spillPeekedEnds) = ReadSpill(max);
            }
            return _spillPeeked;
        }
    }

    /// <summary>
    /// The records after the oldest <paramref name="skip"/>, up to <paramref name="max"/>, when they are in memory (the
    /// writer encodes them while it stores the first <paramref name="skip"/>); empty when there are none there, or when
    /// they would come from the spill file.
    /// </summary>
    public List<AuditRecord> PeekAfter(int skip, int max)
    {
        lock (_gate)
        {
            return _memory.Count > skip ? [.. _memory.Skip(skip).Take(max)] : [];
        }
    }

    /// <summary>Removes the oldest <paramref name="count"/> records (they are stored).</summary>
    public void Acknowledge(int count)
    {
        lock (_gate)
        {
            var fromMemory = Math.Min(count, _memory.Count);
            for (var i = 0; i < fromMemory; i++)
            {
                _memory.Dequeue();
            }
            var fromSpill = count - fromMemory;
            if (fromSpill > 0)
            {
                if (_spillPeeked is null || fromSpill > _spillPeeked.Count)
                {
                    throw new InvalidOperationException("Spill acknowledgement does not match the records handed out.");
                }
                _spillRead = _spillPeekedEnds![fromSpill - 1];
                _spillCount -= fromSpill;
                _spillPeeked = null;
                _spillPeekedEnds = null;
            }
            if (_spill is not null && _spillCount == 0 && _memory.Count == 0)
            {
                // Drained: leave spill mode so new records go to memory again.
                _spill.Dispose();
                _spill = null;
                File.Delete(_spillPath);
                _spillRead = 0;
            }
            if (_memory.Count == 0 && _spillCount == 0)
            {
                _empty.TrySetResult();
            }
        }
    }

    /// <summary>Completes when the queue is empty.</summary>
    public Task WhenEmpty()
    {
        lock (_gate)
        {
            return _empty.Task;
        }
    }

    /// <summary>Moves every record still in memory to the front of the spill file so a later run stores them.</summary>
    public void PersistAll()
    {
        lock (_gate)
        {
            if (_memory.Count == 0)
            {
                _spill?.Flush(flushToDisk: true);
                return;
            }
            var tmp = _spillPath + ".tmp";
            using (var output = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                foreach (var record in _memory)
                {
                    JsonlFormat.WriteLine(_buffer, record);
                }
                output.Write(_buffer.WrittenSpan);
                _buffer.ResetWrittenCount();
                if (_spill is not null)
                {
                    _spill.Flush();
                    _spill.Seek(_spillRead, SeekOrigin.Begin);
                    _spill.CopyTo(output);
                }
                output.Flush(flushToDisk: true);
            }
            _spill?.Dispose();
            _spill = null;
            File.Move(tmp, _spillPath, overwrite: true);
            _memory.Clear();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _spill?.Dispose();
            _spill = null;
        }
    }

    private void OpenSpill()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_spillPath))!);
        _spill = new FileStream(_spillPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        _spill.Seek(0, SeekOrigin.End);
        _spillRead = 0;
    }

    private (List<AuditRecord> Records, List<long> Ends) ReadSpill(int max)
    {
        var stream = _spill!;
        stream.Flush();
        var records = new List<AuditRecord>(Math.Min(max, 4096));
        var ends = new List<long>(Math.Min(max, 4096));
        var position = _spillRead;
        var buffer = new byte[256 * 1024];
        var filled = 0;
        stream.Seek(position, SeekOrigin.Begin);
        while (records.Count < max)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                break;
            }
            filled += read;
            var start = 0;
            while (records.Count < max)
            {
                var nl = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (nl < 0)
                {
                    break;
                }
                records.Add(JsonlFormat.ParseLine(buffer.AsSpan(start, nl), -1));
                start += nl + 1;
                ends.Add(position + start);
            }
            position += start;
            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }
        stream.Seek(0, SeekOrigin.End);
        return (records, ends);
    }

    private static long CountLines(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var buffer = new byte[64 * 1024];
        long count = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        stream.Seek(0, SeekOrigin.End);
        return count;
    }

    private static TaskCompletionSource Completed()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}
