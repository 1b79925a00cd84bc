using Aztp.Audit;
using Aztp.Core;
using Microsoft.Data.Sqlite;

namespace Aztp.Audit.Tests;

/// <summary>The SQLite sink binds its row natively from spans: every column must hold exactly what the schema says.</summary>
public sealed class SqliteColumnTests
{
    [Fact]
    public async Task SqliteSink_StoresTextColumnsExactly_IncludingNonAsciiPayloads()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("cols.db");
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var events = new List<SecurityEvent>
        {
            f.PolicyEvaluated(false, "spiffe://company.org/hr", "calculate-tax", "Zugriff verweigert — ü/ß/日本/😀 \"quoted\"", ["hr-tax"]),
            f.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.7"),
        };
        using (var signer = pki.Signer())
        {
            await using var sink = await SqliteAuditSink.OpenAsync(new SqliteAuditSinkOptions { Path = path, AgentId = "finance", Signer = signer });
            await sink.HandleBatchAsync(events, CancellationToken.None);
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json,
                   typeof(kind), typeof(prev_hash), typeof(hash), typeof(ts), typeof(json), typeof(event_id), typeof(type)
            FROM aztp_audit ORDER BY id
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var prev = AuditChain.GenesisHash;
        for (var i = 0; i < events.Count; i++)
        {
            Assert.True(await reader.ReadAsync());
            var e = events[i];
            EventRow.AssertColumns(reader, i + 1, prev, e);
            Assert.Equal(e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), reader.GetString(5));
            for (var c = 13; c <= 19; c++)
            {
                Assert.Equal("text", reader.GetString(c));
            }
            prev = reader.GetString(3);
        }
        Assert.True(await reader.ReadAsync());
        Assert.Equal("checkpoint", reader.GetString(1));
        Assert.Equal(prev, reader.GetString(2));
        Assert.True(reader.IsDBNull(4));
        Assert.True(reader.IsDBNull(6));
        Assert.Equal("finance", reader.GetString(7));
        Assert.Equal("spiffe://company.org/finance", reader.GetString(11));
        Assert.Equal("text", reader.GetString(17));
        Assert.False(await reader.ReadAsync());
    }
}
