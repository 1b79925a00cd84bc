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
/// <c>severity</c> are bound as the table's <see cref="SqliteLayout"/> stores them.
/// </summary>
internal sealed class SqliteInsert : IDisposable
{
    private const int SqliteDone = 101;
    private const int StackTextLimit = 256;
    private readonly sqlite3 _db;
    private readonly bool _integer;
    private sqlite3_stmt? _statement;

    public SqliteInsert(SqliteConnection connection, string table, SqliteLayout layout)
    {
        _integer = layout == SqliteLayout.Integer;
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
            Check(raw.sqlite3_bind_text(s, 2, record.Kind == AuditRecordKind.Event ? "event"u8 : "checkpoint"u8));
            BindText(s, 3, record.PrevHash);
            BindText(s, 4, record.Hash);
            DateTimeOffset timestamp;
            if (record.Kind == AuditRecordKind.Event)
            {
                var e = record.SourceEvent ?? record.ReadEvent();
                timestamp = e.Timestamp;
                BindText(s, 5, e.Id);
                BindText(s, 8, e.AgentId);
                if (_integer)
                {
                    Check(raw.sqlite3_bind_int64(s, 7, SqliteCodes.Type(e.Type)));
                    Check(raw.sqlite3_bind_int64(s, 9, SqliteCodes.Outcome(e.Outcome)));
                    Check(raw.sqlite3_bind_int64(s, 10, SqliteCodes.Severity(e.Severity)));
                }
                else
                {
                    BindText(s, 7, SecurityEventJson.TypeName(e.Type));
                    BindText(s, 9, SecurityEventJson.OutcomeName(e.Outcome));
                    BindText(s, 10, SecurityEventJson.SeverityName(e.Severity));
                }
                BindText(s, 11, e.TraceId);
                BindText(s, 12, e.Actor?.Id);
            }
            else
            {
                var c = record.SourceCheckpoint ?? record.ReadCheckpoint();
                timestamp = c.Timestamp;
                Check(raw.sqlite3_bind_null(s, 5));
                Check(raw.sqlite3_bind_null(s, 7));
                BindText(s, 8, c.AgentId);
                Check(raw.sqlite3_bind_null(s, 9));
                Check(raw.sqlite3_bind_null(s, 10));
                Check(raw.sqlite3_bind_null(s, 11));
                BindText(s, 12, c.SpiffeId);
            }
            if (_integer)
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
        finally
        {
            raw.sqlite3_reset(s);
        }
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
        Span<byte> utf8 = stackalloc byte[StackTextLimit * 3];
        var length = Encoding.UTF8.GetBytes(value, utf8);
        Check(raw.sqlite3_bind_text(s, index, utf8[..length]));
    }

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
