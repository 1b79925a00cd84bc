using System.Collections.Concurrent;
using Aztp.Core;
using Aztp.Grpc;
using Aztp.Identity;
using Aztp.Rpc.Tests.Protos;

namespace Aztp.Rpc.Tests;

/// <summary>
/// A throwaway trust domain on disk: a key directory made by the dev CA at test time, a policy directory, and
/// helpers to start secured agents that record their events.
/// </summary>
public sealed class TestWorld : IAsyncDisposable
{
    public const string TrustDomain = "company.org";

    public static readonly Method<TaxRequest, TaxReply> CalculateTax = new(FinanceReflection.Descriptor.Services[0].Methods[0]);
    public static readonly Method<TaxRequest, TaxReply> Audit = new(FinanceReflection.Descriptor.Services[0].Methods[1]);

    public const string DefaultPolicy = """
        @id("caller-calculates")
        @reason("callers may calculate tax")
        permit(principal == Agent::"spiffe://company.org/caller", action == Action::"calculate-tax", resource);
        """;

    private readonly List<IAsyncDisposable> _owned = [];

    public TestWorld(string policy = DefaultPolicy, string trustDomain = TrustDomain, params string[] agents)
    {
        Root = Directory.CreateTempSubdirectory("aztp-rpc-").FullName;
        KeyDir = Path.Combine(Root, "keys");
        PolicyDir = Path.Combine(Root, "policies");
        Directory.CreateDirectory(PolicyDir);
        KeyDirectory.Initialize(KeyDir, Identity.TrustDomain.Parse(trustDomain), agents.Length == 0 ? ["finance", "caller", "intruder"] : agents);
        WritePolicy(policy);
    }

    public string Root { get; }
    public string KeyDir { get; }
    public string PolicyDir { get; }
    public FinanceService Finance { get; } = new();

    public void WritePolicy(string policy) => File.WriteAllText(Path.Combine(PolicyDir, "agents.cedar"), policy);

    public AgentDefinition FinanceAgent() =>
        new AgentDefinition("finance").AddService(FinanceReflection.Descriptor.Services[0], Finance, s => s
            .Method<TaxRequest>("CalculateTax", "calculate-tax", r => [new("amount", r.Amount)]));

    public async Task<(SecuredAgent Agent, ConcurrentQueue<SecurityEvent> Events)> ConnectAsync(AgentDefinition agent,
        string? keyDir = null, string trustDomain = TrustDomain, Action<AztpOptions>? configure = null)
    {
        var events = new ConcurrentQueue<SecurityEvent>();
        var options = new AztpOptions
        {
            Spiffe = new() { TrustDomain = trustDomain, KeyDir = keyDir ?? KeyDir, CreateIfMissing = false, WatchForChanges = false },
            Policy = new() { PolicyDir = PolicyDir, WatchForChanges = false },
            Monitoring = new()
            {
                ConsoleLogging = false,
                OnEvent = (e, _) =>
                {
                    events.Enqueue(e);
                    return ValueTask.CompletedTask;
                },
            },
        };
        configure?.Invoke(options);
        var secured = await AztpAgent.SecureConnect(agent, options);
        _owned.Add(secured);
        return (secured, events);
    }

    public async Task<(SecuredAgent Agent, ConcurrentQueue<SecurityEvent> Events, Uri Address)> ServeFinanceAsync(Action<AztpOptions>? configure = null)
    {
        var (agent, events) = await ConnectAsync(FinanceAgent(), configure: configure);
        var address = await agent.StartServerAsync("https://127.0.0.1:0");
        return (agent, events, address);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
