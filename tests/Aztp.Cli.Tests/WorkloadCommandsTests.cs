using System.Text.Json;
using System.Text.Json.Nodes;
using Aztp.Identity;
using Aztp.Identity.Tests.WorkloadApi;

namespace Aztp.Cli.Tests;

public sealed class WorkloadCommandsTests : IAsyncLifetime
{
    private readonly TrustDomain _td = TrustDomain.Parse("company.org");
    private DevCertificateAuthority _ca = null!;
    private WorkloadApiServer? _server;

    public Task InitializeAsync()
    {
        _ca = DevCertificateAuthority.Create(_td);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _ca.Dispose();
    }

    private JsonObject State(params string[] agents) =>
        WorkloadState.Of([.. agents.Select(a => WorkloadState.Entry(_ca.IssueSvid(_td.Id(a)), _ca.ToBundle()))]);

    private static async Task<(int Code, List<JsonElement> Lines, string Stdout, string Stderr)> Run(TextWriter? stdout, CancellationToken ct, params string[] args)
    {
        stdout ??= new StringWriter();
        using var stderr = new StringWriter();
        var code = await AztpCommand.InvokeAsync(args, stdout, stderr, ct);
        var text = stdout.ToString()!;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (code, lines, text, stderr.ToString());
    }

    [WorkloadFact]
    public async Task SvidFetch_PrintsOneLinePerSvid()
    {
        var state = State("finance", "payroll");
        using var partner = DevCertificateAuthority.Create(TrustDomain.Parse("partner.net"));
        state["federated"] = new JsonObject { ["spiffe://partner.net"] = WorkloadState.Der(partner.ToBundle()) };
        _server = await WorkloadApiServer.StartAsync(state);

        var (code, lines, _, stderr) = await Run(null, default, "svid", "fetch", "--socket", _server.Address);

        Assert.True(code == 0, stderr);
        Assert.Equal(["spiffe://company.org/finance", "spiffe://company.org/payroll"], lines.Select(l => l.GetProperty("spiffeId").GetString()));
        Assert.All(lines, l => Assert.Equal(["company.org", "partner.net"], l.GetProperty("trustDomains").EnumerateArray().Select(e => e.GetString())));
        Assert.All(lines, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("serial").GetString())));
        Assert.All(lines, l => Assert.True(DateTimeOffset.Parse(l.GetProperty("notAfter").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow));
    }

    [WorkloadFact]
    public async Task SvidFetch_Watch_PrintsEachUpdateUntilInterrupted()
    {
        _server = await WorkloadApiServer.StartAsync(State("finance"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = new LineSignallingWriter();
        var run = Run(stdout, cts.Token, "svid", "fetch", "--watch", "--socket", _server.Address);

        await stdout.WaitForLinesAsync(1).WaitAsync(TimeSpan.FromSeconds(20));
        _server.WriteState(State("finance"));
        await stdout.WaitForLinesAsync(2).WaitAsync(TimeSpan.FromSeconds(20));
        await cts.CancelAsync();
        var (code, lines, _, _) = await run;

        Assert.Equal(0, code);
        Assert.Equal(2, lines.Select(l => l.GetProperty("serial").GetString()).Distinct().Count());
    }

    [WorkloadFact]
    public async Task SvidFetch_NoIdentityIssued_ExitsOneWithTypedError()
    {
        var state = State("finance");
        state["deny"] = true;
        _server = await WorkloadApiServer.StartAsync(state);

        var (code, lines, _, _) = await Run(null, default, "svid", "fetch", "--socket", _server.Address);

        Assert.Equal(1, code);
        Assert.Equal("no_identity_issued", Assert.Single(lines).GetProperty("error").GetString());
    }

    [WorkloadFact]
    public async Task JwtFetch_PrintsClaims_AndTheTokenOnlyWhenAsked()
    {
        using var key = JwtSigningKey.Generate(JwtAlgorithm.ES256);
        const string audience = "spiffe://company.org/billing";
        var token = JwtSvid.Mint(_td.Id("finance"), [audience], DateTimeOffset.UtcNow.AddMinutes(5), key).Token;
        var state = State("finance");
        state["jwt_tokens"] = new JsonObject { [audience] = new JsonArray(new JsonObject { ["spiffe_id"] = "spiffe://company.org/finance", ["svid"] = token }) };
        _server = await WorkloadApiServer.StartAsync(state);

        var (code, lines, stdout, _) = await Run(null, default, "jwt", "fetch", "--audience", audience, "--socket", _server.Address);
        Assert.Equal(0, code);
        var line = Assert.Single(lines);
        Assert.Equal("spiffe://company.org/finance", line.GetProperty("spiffeId").GetString());
        Assert.Equal("spiffe://company.org/finance", line.GetProperty("claims").GetProperty("sub").GetString());
        Assert.Equal(key.KeyId, line.GetProperty("kid").GetString());
        Assert.False(line.TryGetProperty("token", out _));
        Assert.DoesNotContain(token, stdout, StringComparison.Ordinal);

        var (shown, showLines, _, _) = await Run(null, default, "jwt", "fetch", "--audience", audience, "--socket", _server.Address, "--show-token");
        Assert.Equal(0, shown);
        Assert.Equal(token, Assert.Single(showLines).GetProperty("token").GetString());
    }

    [Theory]
    [InlineData("svid", "fetch", "--socket", "http://127.0.0.1:1")]
    [InlineData("svid", "fetch", "--socket", "unix://relative")]
    [InlineData("jwt", "fetch", "--audience", "a", "--socket", "tcp://localhost:1")]
    public async Task Fetch_BadSocket_IsAUsageError(params string[] args)
    {
        var (code, _, _, stderr) = await Run(null, default, args);
        Assert.Equal(2, code);
        Assert.Contains("--socket", stderr, StringComparison.Ordinal);
    }

    /// <summary>A StringWriter that lets a test await a number of complete lines.</summary>
    private sealed class LineSignallingWriter : StringWriter
    {
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
        private int _lines;

        public Task WaitForLinesAsync(int count)
        {
            lock (_gate)
            {
                if (_lines >= count)
                {
                    return Task.CompletedTask;
                }

                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, tcs));
                return tcs.Task;
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
                if (value == '\n')
                {
                    _lines++;
                    foreach (var w in _waiters.Where(w => w.Count <= _lines).ToList())
                    {
                        _waiters.Remove(w);
                        w.Done.TrySetResult();
                    }
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? string.Empty)
            {
                Write(c);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            for (var i = 0; i < count; i++)
            {
                Write(buffer[index + i]);
            }
        }

        public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToString());
            Write('\n');
            return Task.CompletedTask;
        }
    }
}
