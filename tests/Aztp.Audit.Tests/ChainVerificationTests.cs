using System.Text;
using System.Text.Json.Nodes;
using Aztp.Audit;
using Aztp.Core;

namespace Aztp.Audit.Tests;

public sealed class ChainVerificationTests
{
    public static TheoryData<string, AuditBreakKind?, long> Tampering => Scenarios.Tampering;

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_Jsonl_DetectsEachKindOfTampering(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.AssertVerifyAsync(store, pki, tamper, kind, seq);
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_Sqlite_DetectsEachKindOfTampering(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.Sqlite, dir);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.AssertVerifyAsync(store, pki, tamper, kind, seq);
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_SqliteTextLayout_DetectsEachKindOfTampering(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.SqliteTextLayout, dir);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.AssertVerifyAsync(store, pki, tamper, kind, seq);
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_SqliteIdIntegerLayout_DetectsEachKindOfTampering(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(StoreKind.SqliteIdIntegerLayout, dir);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.AssertVerifyAsync(store, pki, tamper, kind, seq);
    }

    public static TheoryData<string> EvidenceColumns => new() { "seq", "kind", "prev_hash", "hash", "json" };

    [Theory]
    [MemberData(nameof(EvidenceColumns))]
    public async Task Verify_Sqlite_NullInAnEvidenceColumn_IsEditedAtThatRow(string column)
    {
        // An attacker with write access can rebuild the table without its NOT NULL constraints; a NULL must be
        // reported as a break at that row, never escape as an exception.
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (SqlStore)TestStore.Create(StoreKind.Sqlite, dir);
        await Scenarios.WriteAsync(store, pki);
        await store.ExecAsync($"""
            CREATE TABLE loose AS SELECT * FROM aztp_audit;
            DROP TABLE aztp_audit;
            ALTER TABLE loose RENAME TO aztp_audit;
            UPDATE aztp_audit SET {column} = NULL WHERE rowid = @s;
            """, 9);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Edited, result.Break!.Kind);
        Assert.Equal(9, result.Break.Position);
        Assert.Equal(8, result.Records);
        Assert.Contains(column, result.Break.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_Jsonl_ForgedRecordBeforeTheGenuineOne_IsInserted()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var lines = store.Lines();
        var genuine = lines[8];
        lines.Insert(8, genuine.Replace("\"agentId\":\"finance\"", "\"agentId\":\"mallory\"", StringComparison.Ordinal));
        store.Save(lines);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Inserted, result.Break!.Kind);
        Assert.Equal(9, result.Break.Position);
    }

    [Fact]
    public async Task Verify_Jsonl_FileCutInTheMiddleOfALine_IsTruncated()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var bytes = File.ReadAllBytes(store.Path);
        File.WriteAllBytes(store.Path, bytes[..(bytes.Length - 40)]);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.Truncated, result.Break!.Kind);
        Assert.Equal(24, result.Break.Seq);
    }

    [Fact]
    public async Task Verify_ChainRewrittenWithoutTheKey_FailsAtTheFirstCheckpoint()
    {
        // An attacker who edits event 3 and recomputes every hash after it still cannot re-sign checkpoint 7.
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var lines = store.Lines();
        lines[2] = lines[2].Replace("\"agentId\":\"finance\"", "\"agentId\":\"mallory\"", StringComparison.Ordinal);
        store.Save(Rechain(lines));

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.InvalidCheckpoint, result.Break!.Kind);
        Assert.Equal(7, result.Break.Seq);
    }

    [Fact]
    public async Task Verify_CheckpointSignedByAnotherCa_IsUntrusted()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var other = new TestPki(caName: "other CA");
        var store = TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = other.Anchors });

        Assert.Equal(AuditBreakKind.UntrustedCheckpoint, result.Break!.Kind);
        Assert.Equal(7, result.Break.Seq);
    }

    [Fact]
    public async Task Verify_FederatedCa_VouchesOnlyForItsOwnTrustDomain()
    {
        using var dir = new TempDir();
        using var own = new TestPki();
        using var partner = new TestPki("spiffe://partner.org/agent", "partner.org CA");
        using var impostor = new TestPki("spiffe://company.org/finance", "partner.org CA");
        var federated = new Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2Collection>
        {
            ["partner.org"] = partner.Anchors,
        };
        var partnerStore = new JsonlStore(dir.File("partner.jsonl"));
        await Scenarios.WriteAsync(partnerStore, partner);
        // The partner CA issues an SVID in company.org: a federated bundle must not make it trusted.
        var impostorStore = new JsonlStore(dir.File("impostor.jsonl"));
        await Scenarios.WriteAsync(impostorStore, impostor);
        var federatedImpostorAnchors = new Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2Collection>
        {
            ["partner.org"] = impostor.Anchors,
        };

        var partnerResult = await AuditVerifier.VerifyAsync(partnerStore.Location, new AuditVerifyOptions { TrustAnchors = own.Anchors, FederatedAnchors = federated });
        var impostorResult = await AuditVerifier.VerifyAsync(impostorStore.Location, new AuditVerifyOptions { TrustAnchors = own.Anchors, FederatedAnchors = federatedImpostorAnchors });

        Assert.True(partnerResult.IsIntact, partnerResult.Break?.Message);
        Assert.Equal(AuditBreakKind.UntrustedCheckpoint, impostorResult.Break!.Kind);
    }

    [Fact]
    public async Task Verify_KeyDirectory_LoadsBundleAndFederation()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var partner = new TestPki("spiffe://partner.org/agent", "partner.org CA");
        var keys = dir.File("keys");
        pki.WriteBundleDir(keys);
        Directory.CreateDirectory(Path.Combine(keys, "federation"));
        File.WriteAllText(Path.Combine(keys, "federation", "partner.org.pem"), partner.Ca.ExportCertificatePem() + "\n");
        var store = new JsonlStore(dir.File("p.jsonl"));
        await Scenarios.WriteAsync(store, partner);

        var result = await AuditVerifier.VerifyAsync(store.Location, AuditVerifyOptions.FromKeyDirectory(keys));

        Assert.True(result.IsIntact, result.Break?.Message);
        Assert.True(result.TrustChecked);
    }

    [Fact]
    public async Task Verify_ForgedSignature_IsInvalidCheckpoint()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var lines = store.Lines();
        var node = JsonNode.Parse(lines[13])!;
        var sig = Convert.FromBase64String(node["checkpoint"]!["signature"]!.GetValue<string>());
        sig[5] ^= 0x01;
        node["checkpoint"]!["signature"] = Convert.ToBase64String(sig);
        lines[13] = node.ToJsonString();
        store.Save(Rechain(lines));

        var result = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(AuditBreakKind.InvalidCheckpoint, result.Break!.Kind);
        Assert.Equal(14, result.Break.Seq);
    }

    [Fact]
    public async Task Verify_WithoutAnchors_ChecksSignaturesButReportsTrustUnchecked()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);

        var result = await AuditVerifier.VerifyAsync(store.Location);

        Assert.True(result.IsIntact);
        Assert.False(result.TrustChecked);
        Assert.Equal(4, result.Checkpoints);
    }

    [Fact]
    public async Task Verify_UnsignedChain_IsTruncatedUnlessSealingIsNotRequired()
    {
        using var dir = new TempDir();
        var path = dir.File("plain.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path });
        await using (sink)
        {
            await sink.HandleBatchAsync(TestEvents.Many(5), CancellationToken.None);
        }

        var strict = await AuditVerifier.VerifyAsync(path);
        var lenient = await AuditVerifier.VerifyAsync(path, new AuditVerifyOptions { RequireSealedTail = false });

        Assert.Equal(AuditBreakKind.Truncated, strict.Break!.Kind);
        Assert.Equal(1, strict.Break.Seq);
        Assert.True(lenient.IsIntact);
        Assert.Equal(5, lenient.Events);
    }

    [Fact]
    public void Hash_IsSha256OfRawPrevHashThenPayload()
    {
        // Independent computation of the documented formula.
        var payload = Encoding.UTF8.GetBytes("{\"a\":1}");
        var prev = Convert.FromHexString("11".PadLeft(64, '0'));
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. prev, .. payload]));

        Assert.Equal(expected, AuditChain.ComputeHash("11".PadLeft(64, '0'), payload));
        Assert.Throws<FormatException>(() => AuditChain.ComputeHash("XYZ", payload));
    }

    /// <summary>Recomputes every hash link of JSONL lines, as an attacker with write access (but no key) could.</summary>
    internal static List<string> Rechain(List<string> lines)
    {
        var prev = AuditChain.GenesisHash;
        var result = new List<string>();
        foreach (var line in lines)
        {
            var node = JsonNode.Parse(line)!.AsObject();
            var payloadNode = node["event"] ?? node["checkpoint"]!;
            var payloadText = line[(line.IndexOf(node.ContainsKey("event") ? "\"event\":" : "\"checkpoint\":", StringComparison.Ordinal) + (node.ContainsKey("event") ? 8 : 13))..^1];
            _ = payloadNode;
            var hash = AuditChain.ComputeHash(prev, Encoding.UTF8.GetBytes(payloadText));
            var kind = node.ContainsKey("event") ? "event" : "checkpoint";
            result.Add($"{{\"seq\":{node["seq"]},\"prevHash\":\"{prev}\",\"hash\":\"{hash}\",\"{kind}\":{payloadText}}}");
            prev = hash;
        }
        return result;
    }
}
