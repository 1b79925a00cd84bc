using System.Globalization;
using System.Text;
using Aztp.Core;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Aztp.Audit.Internal;

/// <summary>
/// The sink's INSERT as one prepared native statement, bound positionally from spans: no per-row parameter lookup,
/// boxing or string transcoding (the payload's UTF-8 bytes are bound as they are, so the stored text is the same).
/// Runs inside the connection's transaction (same database handle). <c>ts</c>, <c>type</c>, <c>outcome</c> and
/// <c>severity</c> are bound as the table's <see cref="SqliteLayout"/> stores them. SQLite keeps a statement's bindings
/// across <c>sqlite3_reset</c>, so a column whose value equals the previous row's (kind, agent, actor, the codes, a
/// missing trace id — most rows of a stream) is not bound again: fewer native calls per row. Any failure forgets what
/// was bound, so the next row binds every column.
/// </summary>
internal sealed class SqliteInsert : IDisposable
{
    private const int SqliteDone = 101;
    private const int StackTextLimit = 256;
    private readonly sqlite3 _db;
    private readonly bool _integerLayout;
    private sqlite3_stmt? _statement;
    // Per parameter (1-based): what is bound now, when known. Unknown is the safe state (bind again).
    private readonly BindState[] _state = new BindState[14];
    private readonly string?[] _text = new string?[14];
    private readonly long[] _boundInteger = new long[14];

    private enum BindState : byte
    {
        Unknown,
        Null,
        Text,
        Integer,
    }

    public SqliteInsert(SqliteConnection connection, string table, SqliteLayout layout)
    {
        _integerLayout = layout == SqliteLayout.Integer;
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var sql = $"INSERT INTO {table} ({SqliteSchema.Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
        }
        SqliteException.ThrowExceptionForRC(rc, _db);
        _statement = statement;
    }

    /// <summary>Inserts one record (bindings are all replaced, so no state carries over between rows).</summary>
    public void Insert(AuditRecord record)
    {
        var s = _statement ?? throw new ObjectDisposedException(nameof(SqliteInsert));
        try
        {
            Check(raw.sqlite3_bind_int64(s, 1, record.Seq));
            CachedText(s, 2, record.Kind == AuditRecordKind.Event ? "event" : "checkpoint");
            BindText(s, 3, record.PrevHash);
            BindText(s, 4, record.Hash);
            DateTimeOffset timestamp;
            if (record.Kind == AuditRecordKind.Event)
            {
                var e = record.SourceEvent ?? record.ReadEvent();
                timestamp = e.Timestamp;
                BindText(s, 5, e.Id);
                CachedText(s, 8, e.AgentId);
                if (_integerLayout)
                {
                    CachedInteger(s, 7, SqliteCodes.Type(e.Type));
                    CachedInteger(s, 9, SqliteCodes.Outcome(e.Outcome));
                    CachedInteger(s, 10, SqliteCodes.Severity(e.Severity));
                }
                else
                {
                    CachedText(s, 7, SecurityEventJson.TypeName(e.Type));
                    CachedText(s, 9, SecurityEventJson.OutcomeName(e.Outcome));
                    CachedText(s, 10, SecurityEventJson.SeverityName(e.Severity));
                }
                CachedText(s, 11, e.TraceId);
                CachedText(s, 12, e.Actor?.Id);
            }
            else
            {
                var c = record.SourceCheckpoint ?? record.ReadCheckpoint();
                timestamp = c.Timestamp;
                BindText(s, 5, null);
                CachedText(s, 7, null);
                CachedText(s, 8, c.AgentId);
                CachedText(s, 9, null);
                CachedText(s, 10, null);
                CachedText(s, 11, null);
                CachedText(s, 12, c.SpiffeId);
            }
            if (_integerLayout)
            {
                Check(raw.sqlite3_bind_int64(s, 6, SqliteCodes.Timestamp(timestamp)));
            }
            else
            {
                Span<byte> ts = stackalloc byte[32];
                if (!timestamp.UtcDateTime.TryFormat(ts, out var tsLength, AuditRow.TimestampFormat, CultureInfo.InvariantCulture))
                {
                    throw new FormatException("The record's timestamp cannot be formatted.");
                }
                Check(raw.sqlite3_bind_text(s, 6, ts[..tsLength]));
            }
            Check(raw.sqlite3_bind_text(s, 13, record.Payload.Span));
            var rc = raw.sqlite3_step(s);
            if (rc != SqliteDone)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
                throw new SqliteException($"INSERT returned {rc} instead of SQLITE_DONE.", rc);
            }
        }
        catch
        {
            Array.Clear(_state);
            throw;
        }
        finally
        {
            raw.sqlite3_reset(s);
        }
    }

    // Binds a text (or NULL) parameter unless it already holds that value.
    private void CachedText(sqlite3_stmt s, int index, string? value)
    {
        if (value is null)
        {
            if (_state[index] != BindState.Null)
            {
                _state[index] = BindState.Unknown;
                Check(raw.sqlite3_bind_null(s, index));
                _state[index] = BindState.Null;
            }
            return;
        }
        if (_state[index] == BindState.Text && string.Equals(_text[index], value, StringComparison.Ordinal))
        {
            return;
        }
        _state[index] = BindState.Unknown;
        BindText(s, index, value);
        _text[index] = value;
        _state[index] = BindState.Text;
    }

    // Binds an integer parameter unless it already holds that value.
    private void CachedInteger(sqlite3_stmt s, int index, long value)
    {
        if (_state[index] == BindState.Integer && _boundInteger[index] == value)
        {
            return;
        }
        _state[index] = BindState.Unknown;
        Check(raw.sqlite3_bind_int64(s, index, value));
        _boundInteger[index] = value;
        _state[index] = BindState.Integer;
    }

    public void Dispose()
    {
        _statement?.Dispose();
        _statement = null;
    }

    private void BindText(sqlite3_stmt s, int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(s, index));
            return;
        }
        if (value.Length > StackTextLimit)
        {
            Check(raw.sqlite3_bind_text(s, index, value));
            return;
        }
        // Sized to the value (a stackalloc is zeroed): a 64-digit hash needs 192 bytes, not the 768 of the limit.
        Span<byte> utf8 = stackalloc byte[value.Length * 3];
        var length = Encoding.UTF8.GetBytes(value, utf8);
        Check(raw.sqlite3_bind_text(s, index, utf8[..length]));
    }

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
