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
            var json = SecurityEventJson.Serialize(e);
            Assert.Equal(i + 1, reader.GetInt64(0));
            Assert.Equal("event", reader.GetString(1));
            Assert.Equal(prev, reader.GetString(2));
            Assert.Equal(AuditChain.ComputeHash(prev, System.Text.Encoding.UTF8.GetBytes(json)), reader.GetString(3));
            Assert.Equal(e.Id, reader.GetString(4));
            Assert.Equal(e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), reader.GetString(5));
            Assert.Equal(SecurityEventJson.TypeName(e.Type), reader.GetString(6));
            Assert.Equal(e.AgentId, reader.GetString(7));
            Assert.Equal(SecurityEventJson.OutcomeName(e.Outcome), reader.GetString(8));
            Assert.Equal(SecurityEventJson.SeverityName(e.Severity), reader.GetString(9));
            Assert.Equal((object?)e.TraceId ?? DBNull.Value, reader.GetValue(10));
            Assert.Equal((object?)e.Actor?.Id ?? DBNull.Value, reader.GetValue(11));
            Assert.Equal(json, reader.GetString(12));
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
