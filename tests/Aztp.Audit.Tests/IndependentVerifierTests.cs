using System.Diagnostics;
using System.Text.Json;
using Aztp.Audit;

namespace Aztp.Audit.Tests;

/// <summary>
/// Runs python/verify_audit.py — a verifier written from docs/audit.md alone, sharing no code with Aztp.Audit — beside
/// <see cref="AuditVerifier"/> on the same stores, intact and tampered, and requires the two to agree. If the format
/// description drifts from what the sinks write, these tests fail.
/// </summary>
public sealed class IndependentVerifierTests
{
    public static TheoryData<StoreKind, string> StoresAndTampering()
    {
        var data = new TheoryData<StoreKind, string>();
        foreach (var kind in new[] { StoreKind.Jsonl, StoreKind.Sqlite, StoreKind.SqliteTextLayout, StoreKind.SqliteIdIntegerLayout })
        {
            foreach (var row in Scenarios.Tampering)
            {
                data.Add(kind, (string)row[0]);
            }
        }
        return data;
    }

    [PythonCryptographyTheory]
    [MemberData(nameof(StoresAndTampering))]
    public async Task IndependentVerifier_AgreesWithAuditVerifier(StoreKind kind, string tamper)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var store = TestStore.Create(kind, dir);
        await Scenarios.WriteAsync(store, pki);
        await Scenarios.ApplyAsync(store, tamper);
        var bundle = dir.File("bundle");
        pki.WriteBundleDir(bundle);

        var ours = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        var theirs = await IndependentVerifier.RunAsync(kind, store.Location, bundle);

        Assert.Equal(tamper == "none", ours.IsIntact);
        Assert.True(ours.IsIntact == theirs.Intact, $"Aztp: {ours.Break?.Message ?? "intact"}; independent: {theirs.Error ?? "intact"}");
        if (ours.IsIntact)
        {
            Assert.Equal(ours.Records, theirs.Records);
            Assert.Equal(ours.Events, theirs.Events);
            Assert.Equal(ours.Checkpoints, theirs.Checkpoints);
            Assert.Equal(ours.LastSeq, theirs.LastSeq);
            Assert.Equal(ours.LastHash, theirs.LastHash);
        }
    }

    [PythonCryptographyFact]
    public async Task IndependentVerifier_RejectsCheckpointsFromAnotherCa_LikeAuditVerifier()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var stranger = new TestPki(caName: "other.org CA");
        using var store = TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var bundle = dir.File("stranger");
        stranger.WriteBundleDir(bundle);

        var ours = await AuditVerifier.VerifyAsync(store.Location, new AuditVerifyOptions { TrustAnchors = stranger.Anchors });
        var theirs = await IndependentVerifier.RunAsync(StoreKind.Jsonl, store.Location, bundle);

        Assert.Equal(AuditBreakKind.UntrustedCheckpoint, ours.Break?.Kind);
        Assert.False(theirs.Intact);
        Assert.Contains("trust bundle", theirs.Error, StringComparison.Ordinal);
    }

    [PythonCryptographyFact]
    public async Task IndependentVerifier_VerifiesEveryRotatedFileOnItsOwn()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        using var signer = pki.Signer();
        var path = dir.File("audit.jsonl");
        var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions
        {
            Path = path, Signer = signer, MaxFileBytes = 8 * 1024, CompressRotated = true, CheckpointEvery = 50,
        });
        await using (sink)
        {
            foreach (var chunk in TestEvents.Many(200).Chunk(10))
            {
                await sink.HandleBatchAsync(chunk, CancellationToken.None);
            }
        }
        var bundle = dir.File("bundle");
        pki.WriteBundleDir(bundle);
        var files = Directory.GetFiles(dir.Path, "audit.*.jsonl.gz").Order(StringComparer.Ordinal).Append(path).ToList();
        Assert.True(files.Count >= 3, "expected rotation to produce several files");

        long events = 0;
        foreach (var file in files)
        {
            var ours = await AuditVerifier.VerifyAsync(file, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
            var theirs = await IndependentVerifier.RunAsync(StoreKind.Jsonl, file, bundle);
            Assert.True(theirs.Intact, file + ": " + theirs.Error);
            Assert.Equal(ours.LastHash, theirs.LastHash);
            Assert.Equal(ours.Events, theirs.Events);
            events += theirs.Events;
        }
        Assert.Equal(200, events);
    }
}

/// <summary>Runs tests/Aztp.Audit.Tests/python/verify_audit.py with Debian's python3.</summary>
internal static class IndependentVerifier
{
    public const string Python = "/usr/bin/python3";

    public sealed record Summary(bool Intact, long Records, long Events, long Checkpoints, long LastSeq, string? LastHash, string? Error);

    public static bool Available()
    {
        if (!File.Exists(Python))
        {
            return false;
        }
        using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import cryptography"]) { RedirectStandardError = true })!;
        p.WaitForExit(30_000);
        return p.HasExited && p.ExitCode == 0;
    }

    public static async Task<Summary> RunAsync(StoreKind kind, string location, string bundle)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "python", "verify_audit.py");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(kind == StoreKind.Jsonl ? "--jsonl" : "--sqlite");
        start.ArgumentList.Add(kind == StoreKind.Jsonl ? location : location["sqlite:".Length..]);
        start.ArgumentList.Add("--bundle");
        start.ArgumentList.Add(bundle);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(process.ExitCode is 0 or 1, $"verify_audit.py exited {process.ExitCode}: {await stderr}");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var summary = new Summary(
            root.GetProperty("intact").GetBoolean(),
            root.GetProperty("records").GetInt64(),
            root.GetProperty("events").GetInt64(),
            root.GetProperty("checkpoints").GetInt64(),
            root.GetProperty("lastSeq").GetInt64(),
            root.GetProperty("lastHash").GetString(),
            root.GetProperty("error").GetString());
        Assert.Equal(summary.Intact ? 0 : 1, process.ExitCode);
        return summary;
    }
}

/// <summary>Skips when Debian's python3 with the cryptography package is missing, unless AZTP_REQUIRE_PEERS=1.</summary>
public sealed class PythonCryptographyFactAttribute : FactAttribute
{
    public PythonCryptographyFactAttribute()
    {
        Skip = PythonCryptographyPeer.SkipReason();
    }
}

/// <summary>The theory form of <see cref="PythonCryptographyFactAttribute"/>.</summary>
public sealed class PythonCryptographyTheoryAttribute : TheoryAttribute
{
    public PythonCryptographyTheoryAttribute()
    {
        Skip = PythonCryptographyPeer.SkipReason();
    }
}

internal static class PythonCryptographyPeer
{
    private static readonly Lazy<bool> Present = new(IndependentVerifier.Available);

    public static string? SkipReason() =>
        Present.Value || Environment.GetEnvironmentVariable("AZTP_REQUIRE_PEERS") == "1"
            ? null
            : "/usr/bin/python3 with the cryptography package (Debian: python3-cryptography) is not installed; set AZTP_REQUIRE_PEERS=1 to fail instead.";
}
