namespace FinanceAgent;

/// <summary>Where the sample keeps its files, and its fixed names. Everything is relative to the working directory.</summary>
public sealed record SampleSettings(string KeyDir, string PolicyDir, string AuditDb)
{
    /// <summary>The trust domain of every agent in the story.</summary>
    public const string TrustDomain = "company.org";

    /// <summary>The agents the key directory holds.</summary>
    public static readonly string[] Agents = ["finance", "payroll", "marketing"];

    /// <summary>The finance agent's SPIFFE ID: clients authorize the server against exactly this.</summary>
    public const string FinanceId = "spiffe://company.org/finance";

    /// <summary>Defaults: ./keys, the policies shipped beside the executable, ./audit.db.</summary>
    public static SampleSettings Default { get; } = new(
        Path.GetFullPath("keys"),
        Path.Combine(AppContext.BaseDirectory, "policies"),
        Path.GetFullPath("audit.db"));
}
