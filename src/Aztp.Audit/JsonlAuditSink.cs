using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using Aztp.Audit.Internal;

namespace Aztp.Audit;

/// <summary>
/// Writes the audit chain to a JSONL file, one record per line (docs/audit.md, "JSONL"), appending each batch in one
/// write followed by an fsync. Rotates by size or age: the active file is sealed with a checkpoint, renamed with a UTC
/// timestamp (optionally gzipped), and the new file starts with a copy of that checkpoint so each file verifies on its
/// own. A torn final line left by a crash is cut off when the file is reopened.
/// </summary>
public sealed class JsonlAuditSink : AuditSink
{
    private readonly JsonlAuditSinkOptions _options;
    private readonly ArrayBufferWriter<byte> _buffer = new(256 * 1024);
    private FileStream? _stream;
    private DateTimeOffset _openedAt;

    private JsonlAuditSink(JsonlAuditSinkOptions options)
        : base(options)
    {
        _options = options;
    }

    /// <summary>Opens (or creates) the file and continues its chain.</summary>
    /// <exception cref="AuditStoreException">The file cannot be opened or its last record is malformed.</exception>
    public static async Task<JsonlAuditSink> OpenAsync(JsonlAuditSinkOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sink = new JsonlAuditSink(options);
        try
        {
            sink.OpenFile();
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return sink;
        }
        catch
        {
            sink._stream?.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override string Name => "jsonl";

    /// <summary>The active file.</summary>
    public string Path => _options.Path;

    private void OpenFile()
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_options.Path));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
            _stream = new FileStream(_options.Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
            var (_, complete) = JsonlLines.ReadTail(_stream);
            if (complete < _stream.Length)
            {
                // A torn final line is a write that never completed (never acknowledged): drop it so the chain continues.
                _stream.SetLength(complete);
            }
            _stream.Seek(0, SeekOrigin.End);
            _openedAt = _options.TimeProvider.GetUtcNow();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditStoreException($"Cannot open audit file '{_options.Path}': {ex.Message}", ex);
        }
    }

    private protected override ValueTask<AuditRecord?> ReadLastRecordAsync(CancellationToken cancellationToken)
    {
        var stream = _stream!;
        var (last, complete) = JsonlLines.ReadTail(stream);
        if (complete < stream.Length)
        {
            stream.SetLength(complete);
        }
        stream.Seek(0, SeekOrigin.End);
        return ValueTask.FromResult(last);
    }

    private protected override ValueTask AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        foreach (var record in records)
        {
            JsonlFormat.WriteLine(_buffer, record);
        }
        var stream = _stream!;
        stream.Write(_buffer.WrittenSpan);
        stream.Flush(flushToDisk: _options.FlushToDisk);
        return ValueTask.CompletedTask;
    }

    private protected override async ValueTask AfterWriteAsync()
    {
        var dueBySize = _options.MaxFileBytes > 0 && _stream!.Length >= _options.MaxFileBytes;
        var dueByTime = _options.RotateInterval is { } interval && _options.TimeProvider.GetUtcNow() - _openedAt >= interval;
        if (dueBySize || dueByTime)
        {
            await RotateLockedAsync().ConfigureAwait(false);
        }
    }

    private async Task RotateLockedAsync()
    {
        var seal = await SealLockedAsync(CancellationToken.None).ConfigureAwait(false);
        // The anchor of the next file: the checkpoint just written, or the last checkpoint when nothing was unsealed.
        seal ??= JsonlLines.ReadTail(_stream!).Last is { Kind: AuditRecordKind.Checkpoint } last ? last : null;
        await _stream!.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        var now = _options.TimeProvider.GetUtcNow();
        var full = System.IO.Path.GetFullPath(_options.Path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        var stem = System.IO.Path.GetFileNameWithoutExtension(full);
        var rotated = System.IO.Path.Combine(dir, $"{stem}.{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}.jsonl");
        File.Move(full, rotated);
        if (_options.CompressRotated)
        {
            var gz = rotated + ".gz";
            var input = File.OpenRead(rotated);
            await using (input.ConfigureAwait(false))
            {
                var output = File.Create(gz);
                await using (output.ConfigureAwait(false))
                {
                    var zip = new GZipStream(output, CompressionLevel.Optimal);
                    await using (zip.ConfigureAwait(false))
                    {
                        await input.CopyToAsync(zip).ConfigureAwait(false);
                    }
                }
            }
            File.Delete(rotated);
        }
        OpenFile();
        if (seal is not null)
        {
            await AppendAsync([seal], CancellationToken.None).ConfigureAwait(false);
        }
        ApplyRetention(dir, stem, now);
    }

    private void ApplyRetention(string dir, string stem, DateTimeOffset now)
    {
        if (_options.KeepFiles == 0 && _options.KeepDays == 0)
        {
            return;
        }
        // Rotated names sort by their UTC timestamp.
        var files = Directory.GetFiles(dir, stem + ".*.jsonl*")
            .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".jsonl.gz", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        for (var i = 0; i < files.Count; i++)
        {
            var tooMany = _options.KeepFiles > 0 && files.Count - i > _options.KeepFiles;
            var tooOld = _options.KeepDays > 0 && now - File.GetLastWriteTimeUtc(files[i]) > TimeSpan.FromDays(_options.KeepDays);
            if (tooMany || tooOld)
            {
                File.Delete(files[i]);
            }
        }
    }

    private protected override async ValueTask CloseStoreAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }
    }
}
