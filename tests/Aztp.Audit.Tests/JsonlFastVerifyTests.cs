using System.Text;
using Aztp.Audit.Internal;
using Aztp.Core;

namespace Aztp.Audit.Tests;

/// <summary>
/// The verifier splits JSONL lines laid out as the writer writes them without a JSON parse
/// (<see cref="JsonlFormat.TryParseWritten"/>) and sends every other line through the JSON
/// parser. These tests hold the fast path to the parser: it may decline a line, never accept one the parser would not
/// read the same way, and a whole verification gives the same result as reading every record through the parser.
/// </summary>
public sealed class JsonlFastVerifyTests
{
    private static readonly byte[] Alphabet = "{}[]\":,\\ u0123456789abcdefABCDEF\r\n\te.-+tnrl/"u8.ToArray().Concat(new byte[] { 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xbc, 0xed, 0xff }).ToArray();

    private static async Task<List<byte[]>> WrittenLinesAsync(TempDir dir, TestPki pki)
    {
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        return store.Lines().Select(Encoding.UTF8.GetBytes).ToList();
    }

    private static byte[] Mutate(byte[] line, Random random)
    {
        var bytes = new List<byte>(line);
        // Mostly one mutation, so that many mutated lines stay close to valid and reach the checks' corners.
        for (var m = random.Next(3) == 0 ? random.Next(2, 4) : 1; m > 0 && bytes.Count > 0; m--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                case 1: bytes.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                case 2: bytes.RemoveAt(at); break;
                default:
                    var length = Math.Min(random.Next(1, 12), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
            }
        }
        return [.. bytes];
    }

    [Fact]
    public async Task FastSplit_OfMutatedLines_NeverDisagreesWithTheJsonParser()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var lines = await WrittenLinesAsync(dir, pki);
        var random = new Random(20261123);
        var fast = 0;
        for (var n = 0; n < 60_000; n++)
        {
            var line = n < lines.Count ? lines[n] : Mutate(lines[random.Next(lines.Count)], random);
            if (JsonlFormat.TryParseWritten(line, out var seq, out var kind, out var prev, out var hash, out var payload))
            {
                fast++;
                AuditRecord parsed;
                try
                {
                    parsed = JsonlFormat.ParseLine(line, 1);
                }
                catch (AuditStoreException ex)
                {
                    Assert.Fail($"fast path accepted a line the parser rejects ({ex.Message}): {Encoding.UTF8.GetString(line)}");
                    throw;
                }
                Assert.Equal(parsed.Seq, seq);
                Assert.Equal(parsed.Kind, kind);
                Assert.Equal(parsed.PrevHash, prev.ToString());
                Assert.Equal(parsed.Hash, hash.ToString());
                Assert.True(parsed.Payload.Span.SequenceEqual(payload));
            }
        }
        // Every genuine line takes the fast path; mutations that keep the layout and the JSON valid do too.
        Assert.True(fast > lines.Count + 1000, $"only {fast} lines took the fast path");
    }

    private const string Zeros = "0000000000000000000000000000000000000000000000000000000000000000";

    public static TheoryData<string, string, bool> PayloadCases => new()
    {
        { "empty object", "{}", true },
        { "nested", """{"a":[1,-2.5e+3,0,true,false,null,{"b":[]}],"c":"x\"\\\/\b\f\n\r\t\u00e9"}""", true },
        { "whitespace inside", """{ "a" : 1 }""", true },
        { "surrogate pair escape", """{"a":"\ud83d\ude00"}""", true },
        { "whitespace before", """ {"a":1}""", false },
        { "whitespace after", """{"a":1} """, false },
        { "trailing comma", """{"a":1,}""", false },
        { "leading zero", """{"a":01}""", false },
        { "two values", """{"a":1}{}""", false },
        { "a second field", """{"a":1},"b":{}""", false },
        { "unterminated string", """{"a":"x}""", false },
        { "bad escape", """{"a":"\x"}""", false },
        { "unquoted key", """{a:1}""", false },
        { "array", "[1]", false },
        { "misspelled literal", """{"a":tru}""", false },
        { "unbalanced", """{"a":[1}""", false },
        { "raw control character", "{\"a\":\"\u0001\"}", false },
        { "nested 32 deep", "{\"a\":" + new string('[', 31) + new string(']', 31) + "}", true },
        { "nested 33 deep (the parser decides)", "{\"a\":" + new string('[', 32) + new string(']', 32) + "}", false },
    };

    [Theory]
    [MemberData(nameof(PayloadCases))]
    public void FastSplit_TakesOnlyPayloadsTheParserReadsTheSameWay(string name, string payload, bool expected)
    {
        var line = Encoding.UTF8.GetBytes($"{{\"seq\":1,\"prevHash\":\"{Zeros}\",\"hash\":\"{Zeros}\",\"event\":{payload}}}");
        Assert.Equal(expected, JsonlFormat.TryParseWritten(line, out _, out _, out _, out _, out var split));
        if (expected)
        {
            Assert.Equal(payload, Encoding.UTF8.GetString(split));
            Assert.Equal(payload, JsonlFormat.ParseLine(line, 1).PayloadText);
        }
        else if (name.Contains("parser decides", StringComparison.Ordinal))
        {
            Assert.Equal(payload, JsonlFormat.ParseLine(line, 1).PayloadText);
        }
    }

    [Fact]
    public void FastSplit_InvalidUtf8_IsRejectedLikeTheParserDoes()
    {
        var line = Encoding.UTF8.GetBytes($"{{\"seq\":1,\"prevHash\":\"{Zeros}\",\"hash\":\"{Zeros}\",\"event\":{{\"a\":\"\"}}}}").ToList();
        line.Insert(line.Count - 4, 0xff);
        var fast = JsonlFormat.TryParseWritten([.. line], out _, out _, out _, out _, out _);
        var parsed = true;
        try
        {
            JsonlFormat.ParseLine([.. line], 1);
        }
        catch (AuditStoreException)
        {
            parsed = false;
        }
        Assert.False(fast && !parsed);
    }

    /// <summary>Reads through the generic record path (every line parsed as JSON), the reference for the fast path.</summary>
    private sealed class ThroughRecords(IAuditReader inner) : IAuditReader
    {
        public string Description => inner.Description;

        public IAsyncEnumerable<AuditRecord> ReadAllAsync(CancellationToken cancellationToken = default) => inner.ReadAllAsync(cancellationToken);

        public IAsyncEnumerable<AuditEntry> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static async Task<(AuditVerificationResult Fast, AuditVerificationResult Reference)> VerifyBothAsync(string path, AuditVerifyOptions options)
    {
        var fast = await AuditVerifier.VerifyAsync(path, options);
        await using var reference = new ThroughRecords(new JsonlAuditReader(path));
        var slow = await AuditVerifier.VerifyAsync(reference, options);
        Assert.Equal(slow.Break, fast.Break);
        Assert.Equal(slow.Records, fast.Records);
        Assert.Equal(slow.Events, fast.Events);
        Assert.Equal(slow.Checkpoints, fast.Checkpoints);
        Assert.Equal(slow.FirstSeq, fast.FirstSeq);
        Assert.Equal(slow.LastSeq, fast.LastSeq);
        Assert.Equal(slow.LastCheckpointSeq, fast.LastCheckpointSeq);
        Assert.Equal(slow.LastHash, fast.LastHash);
        Assert.Equal(slow.Signers, fast.Signers);
        return (fast, slow);
    }

    private static string Field(string line, string name) =>
        line[(line.IndexOf($"\"{name}\":\"", StringComparison.Ordinal) + name.Length + 4)..][..64];

    public static TheoryData<string, AuditBreakKind?, long> LineTampering => new()
    {
        { "none", null, 0 },
        { "crlf", null, 0 },
        { "upper-case hash 9", AuditBreakKind.Edited, 9 },
        { "upper-case prevHash 9", AuditBreakKind.Edited, 9 },
        { "non-hex hash 9", AuditBreakKind.Edited, 9 },
        { "short hash 9", AuditBreakKind.Edited, 9 },
        { "long prevHash 9", AuditBreakKind.Edited, 9 },
        { "escaped hash 9", null, 0 },
        { "spaced envelope 9", null, 0 },
        { "fields reordered 9", null, 0 },
        { "spaced payload 9", AuditBreakKind.Edited, 9 },
        { "unknown field 9", AuditBreakKind.Edited, 9 },
        { "broken json 9", AuditBreakKind.Edited, 9 },
        { "leading zero seq 9", AuditBreakKind.Edited, 9 },
        { "empty line 9", AuditBreakKind.Edited, 9 },
        { "nul byte 9", AuditBreakKind.Edited, 9 },
        { "swap 9", AuditBreakKind.Reordered, 10 },
        { "edit checkpoint 14", AuditBreakKind.Edited, 14 },
    };

    [Theory]
    [MemberData(nameof(LineTampering))]
    public async Task Verify_Jsonl_FastPathGivesTheParsersVerdict(string tamper, AuditBreakKind? kind, long seq)
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var store = (JsonlStore)TestStore.Create(StoreKind.Jsonl, dir);
        await Scenarios.WriteAsync(store, pki);
        var lines = store.Lines();
        var parts = tamper.Split(' ');
        var i = parts.Length > 1 && long.TryParse(parts[^1], out var s) ? lines.FindIndex(l => l.StartsWith($"{{\"seq\":{s},", StringComparison.Ordinal)) : -1;
        var line = i >= 0 ? lines[i] : "";
        var prev = i >= 0 ? Field(line, "prevHash") : "";
        var hash = i >= 0 ? Field(line, "hash") : "";
        switch (string.Join(' ', parts[..^1]).Length == 0 ? tamper : string.Join(' ', parts[..^1]))
        {
            case "none": break;
            case "crlf": lines = lines.Select(l => l + "\r").ToList(); break;
            case "upper-case hash": lines[i] = line.Replace(hash, hash.ToUpperInvariant(), StringComparison.Ordinal); break;
            case "upper-case prevHash": lines[i] = line.Replace(prev, prev.ToUpperInvariant(), StringComparison.Ordinal); break;
            case "non-hex hash": lines[i] = line.Replace(hash, "g" + hash[1..], StringComparison.Ordinal); break;
            case "short hash": lines[i] = line.Replace(hash, hash[1..], StringComparison.Ordinal); break;
            case "long prevHash": lines[i] = line.Replace(prev, prev + "0", StringComparison.Ordinal); break;
            // The same hash with its first digit written as a JSON escape: the parser reads the same string.
            case "escaped hash": lines[i] = line.Replace(hash, $"\\u{(int)hash[0]:x4}" + hash[1..], StringComparison.Ordinal); break;
            case "spaced envelope": lines[i] = line.Replace("\"seq\":", "\"seq\": ", StringComparison.Ordinal); break;
            case "fields reordered":
                lines[i] = line.Replace($"\"prevHash\":\"{prev}\",\"hash\":\"{hash}\"", $"\"hash\":\"{hash}\",\"prevHash\":\"{prev}\"", StringComparison.Ordinal);
                break;
            case "spaced payload": lines[i] = line.Replace("\"agentId\":", "\"agentId\": ", StringComparison.Ordinal); break;
            case "unknown field": lines[i] = line[..^1] + ",\"x\":{}}"; break;
            case "broken json": lines[i] = line.Replace("\"agentId\":", "\"agentId\"", StringComparison.Ordinal); break;
            case "leading zero seq": lines[i] = line.Replace("{\"seq\":9,", "{\"seq\":09,", StringComparison.Ordinal); break;
            case "empty line": lines.Insert(i, ""); break;
            case "nul byte": lines[i] = line.Replace("\"agentId\":\"", "\"agentId\":\"\0", StringComparison.Ordinal); break;
            case "swap": (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]); break;
            case "edit checkpoint": lines[i] = line.Replace("\"coveredSeq\":13", "\"coveredSeq\":12", StringComparison.Ordinal); break;
            default: throw new ArgumentException(tamper);
        }
        Assert.True(tamper == "none" || !lines.SequenceEqual(store.Lines()), "the tampering changed nothing");
        store.Save(lines);

        var (fast, _) = await VerifyBothAsync(store.Path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });

        Assert.Equal(kind, fast.Break?.Kind);
        if (kind is not null)
        {
            Assert.Equal(seq, fast.Break!.Seq);
        }
    }

    private static string ForgedChain(IEnumerable<string> payloads)
    {
        var text = new StringBuilder();
        var prev = AuditChain.GenesisHash;
        long seq = 0;
        foreach (var payload in payloads)
        {
            var hash = AuditChain.ComputeHash(prev, Encoding.UTF8.GetBytes(payload));
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"seq\":{++seq},\"prevHash\":\"{prev}\",\"hash\":\"{hash}\",\"event\":{payload}}}\n");
            prev = hash;
        }
        return text.ToString();
    }

    public static TheoryData<string, AuditBreakKind?, string?> ForgedPayloads => new()
    {
        // Hashed as stored: a payload that is valid JSON but not canonical is what was hashed, and verifies.
        { """{"a": 1}""", null, null },
        { """{"a":1}""", null, null },
        { """{"a":tru}""", AuditBreakKind.Edited, "Line 2 is not a well-formed audit record" },
        { """{"a":1},"b":{}""", AuditBreakKind.Edited, "Line 2 is not a well-formed audit record: unknown field 'b'" },
        // The parser reads the object without the space; the hash was of the bytes with it.
        { """{"a":1} """, AuditBreakKind.Edited, "record 2's hash does not match its content" },
        { """{"a":"\ud800"}""", null, null },
    };

    [Theory]
    [MemberData(nameof(ForgedPayloads))]
    public async Task Verify_Jsonl_PayloadThatIsNotOneJsonObject_IsAMalformedLineEvenWithAMatchingHash(string payload, AuditBreakKind? kind, string? message)
    {
        using var dir = new TempDir();
        var path = dir.File("forged.jsonl");
        File.WriteAllText(path, ForgedChain(["""{"first":true}""", payload, """{"last":true}"""]));

        var (fast, _) = await VerifyBothAsync(path, new AuditVerifyOptions { RequireSealedTail = false });

        Assert.Equal(kind, fast.Break?.Kind);
        if (message is not null)
        {
            Assert.StartsWith(message, fast.Break!.Message, StringComparison.Ordinal);
            Assert.Equal(2, fast.Break.Position);
            Assert.Equal(2, fast.Break.Seq);
        }
        else
        {
            Assert.Equal(3, fast.Records);
        }
    }

    [Fact]
    public async Task Verify_Jsonl_LineLongerThanTheReadBuffer_IsReadWhole()
    {
        using var dir = new TempDir();
        using var pki = new TestPki();
        var path = dir.File("big.jsonl");
        var factory = new SecurityEventFactory("finance", "spiffe://company.org/finance");
        using (var signer = pki.Signer())
        {
            await using var sink = await JsonlAuditSink.OpenAsync(new JsonlAuditSinkOptions { Path = path, Signer = signer, CheckpointEvery = 2 });
            await sink.HandleBatchAsync(
            [
                TestEvents.Make(0),
                factory.PolicyEvaluated(true, "spiffe://company.org/hr", "calculate-tax", new string('r', 3 << 20), ["p1"]),
                TestEvents.Make(3),
            ], CancellationToken.None);
        }
        Assert.True(new FileInfo(path).Length > 3 << 20);

        var (fast, _) = await VerifyBothAsync(path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.True(fast.IsIntact, fast.Break?.Message);
        Assert.Equal(3, fast.Events);

        // The same chain with the big record edited in its middle.
        var bytes = File.ReadAllBytes(path);
        var middle = Array.IndexOf(bytes, (byte)'r', 1 << 20);
        bytes[middle] = (byte)'s';
        File.WriteAllBytes(path, bytes);
        var (edited, _) = await VerifyBothAsync(path, new AuditVerifyOptions { TrustAnchors = pki.Anchors });
        Assert.Equal(AuditBreakKind.Edited, edited.Break!.Kind);
        Assert.Equal(2, edited.Break.Seq);
    }
}
