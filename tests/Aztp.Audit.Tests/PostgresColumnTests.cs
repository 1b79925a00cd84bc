using Aztp.Audit;
using Aztp.Core;
using Npgsql;

namespace Aztp.Audit.Tests;

/// <summary>The PostgreSQL sink encodes its binary COPY rows itself: every column must hold exactly what the schema says.</summary>
[Collection("postgres")]
public sealed class PostgresColumnTests(PostgresServer server)
{
    [PostgresFact]
    public async Task PostgresSink_StoresEveryColumnExactly_IncludingNonAsciiPayloadsAndCheckpoints()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var table = "cols_" + Guid.NewGuid().ToString("N")[..8];
        var f = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        var events = new List<SecurityEvent>
        {
            f.PolicyEvaluated(false, "spiffe://company.org/hr", "calculate-tax", "Zugriff verweigert — ü/ß/日本/😀 \"quoted\"", ["hr-tax"]),
            f.RpcRequestReceived("calculate-tax", "spiffe://company.org/hr", "10.0.0.7"),
            TestEvents.WithTrace("4bf92f3577b34da6a3ce929d0e0e4736", 3),
        };
        using (var signer = pki.Signer())
        {
            await using var sink = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
            {
                ConnectionString = server.ConnectionString, Table = table, AgentId = "finance", Signer = signer, SpillPath = dir.File("spill.jsonl"),
            });
            await sink.HandleBatchAsync(events, CancellationToken.None);
            await sink.FlushAsync();
        }

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, kind, prev_hash, hash, event_id, ts, type, agent, outcome, severity, trace_id, actor, json FROM {table} ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var prev = AuditChain.GenesisHash;
        for (var i = 0; i < events.Count; i++)
        {
            Assert.True(await reader.ReadAsync());
            var e = events[i];
            EventRow.AssertColumns(reader, i + 1, prev, e);
            Assert.Equal(e.Timestamp.UtcTicks / 10, reader.GetFieldValue<DateTimeOffset>(5).UtcTicks / 10);
            prev = reader.GetString(3);
        }

        // The final checkpoint: no event columns, its own time, agent and signer.
        Assert.True(await reader.ReadAsync());
        var checkpoint = AuditCheckpoint.Parse(System.Text.Encoding.UTF8.GetBytes(reader.GetString(12)));
        Assert.Equal("checkpoint", reader.GetString(1));
        Assert.Equal(prev, reader.GetString(2));
        Assert.True(reader.IsDBNull(4));
        Assert.Equal(checkpoint.Timestamp.UtcTicks / 10, reader.GetFieldValue<DateTimeOffset>(5).UtcTicks / 10);
        Assert.True(reader.IsDBNull(6));
        Assert.Equal("finance", reader.GetString(7));
        Assert.True(reader.IsDBNull(8) && reader.IsDBNull(9) && reader.IsDBNull(10));
        Assert.Equal("spiffe://company.org/finance", reader.GetString(11));
        Assert.False(await reader.ReadAsync());
    }

    [PostgresFact]
    public async Task PostgresSink_ServerUpButSlowerThanTheProducer_WaitsForRoomInsteadOfSpilling()
    {
        using var dir = new TempDir();
        var table = "pace_" + Guid.NewGuid().ToString("N")[..8];
        var spill = dir.File("spill.jsonl");
        var events = TestEvents.Many(20_000);
        var sink = await PostgresAuditSink.OpenAsync(new PostgresAuditSinkOptions
        {
            ConnectionString = server.ConnectionString, Table = table, SpillPath = spill, MaxBufferedRecords = 2_000, WriteBatchSize = 500,
        });
        var spilled = false;
        await using (sink)
        {
            // Prime the writer: the wait applies once it has stored something (during an outage nothing waits).
            await sink.HandleBatchAsync(events.Take(10).ToList(), CancellationToken.None);
            await sink.FlushAsync();
            foreach (var batch in events.Skip(10).Chunk(1_000))
            {
                await sink.HandleBatchAsync(batch, CancellationToken.None);
                spilled |= sink.IsSpilling;
                Assert.True(sink.Pending <= 2_000 || spilled, $"pending {sink.Pending}");
            }
            await sink.FlushAsync();
        }

        Assert.False(spilled, "the sink spilled although the server was up");
        Assert.False(File.Exists(spill) && new FileInfo(spill).Length > 0);
        await using var reader = await PostgresAuditReader.OpenAsync(server.ConnectionString, table);
        var count = 0L;
        await foreach (var record in reader.ReadAllAsync())
        {
            Assert.Equal(++count, record.Seq);
        }
        Assert.Equal(events.Count, count);
    }
}
