using System.Collections.Frozen;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// An immutable set of Cedar policies with a scope index: each policy is filed under the most selective entity or
/// type its scope names, so authorization only looks at policies whose scope can match the request.
/// </summary>
public sealed class PolicySet
{
    private readonly PolicyIndex _index;

    private PolicySet(IReadOnlyList<CedarPolicy> policies)
    {
        Policies = policies;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in policies)
        {
            if (!ids.Add(p.Id))
            {
                throw new ArgumentException($"duplicate policy id `{p.Id}`", nameof(policies));
            }
            ReadsContext |= p.ReadsContext;
        }
        _index = new PolicyIndex(policies);
    }

    /// <summary>The empty set: every request is denied.</summary>
    public static PolicySet Empty { get; } = new([]);

    /// <summary>The policies in text order.</summary>
    public IReadOnlyList<CedarPolicy> Policies { get; }

    /// <summary>
    /// True when some policy of the set can read the request's <c>context</c>: a condition names the <c>context</c>
    /// variable anywhere (attribute access, <c>has</c>, indexing, comparing or passing the whole record, inside any
    /// nested expression), or uses a construct the analysis does not classify. Decided once when the set is built.
    /// When false, no decision of this set depends on the context, and the Cedar engine does not build the context of
    /// a request made with a <see cref="CedarContextSource"/>.
    /// </summary>
    public bool ReadsContext { get; }

    /// <summary>Number of policies.</summary>
    public int Count => Policies.Count;

    internal PolicyIndex Index => _index;

    /// <summary>
    /// Parses Cedar policy text (any number of policies). Policies are named <c>policy0</c>, <c>policy1</c>, … in
    /// text order, each preceded by <paramref name="idPrefix"/> when given.
    /// </summary>
    /// <param name="text">Cedar policy text.</param>
    /// <param name="idPrefix">Optional prefix for the generated ids, e.g. a file name.</param>
    /// <exception cref="PolicyParseException">The text is not valid Cedar; the exception carries line and column.</exception>
    public static PolicySet Parse(string text, string? idPrefix = null) => Parse(text, idPrefix, source: null);

    /// <summary>Parses Cedar policy text read from <paramref name="source"/> (a file name used in error messages).</summary>
    /// <exception cref="PolicyParseException">The text is not valid Cedar; the exception carries line and column.</exception>
    public static PolicySet Parse(string text, string? idPrefix, string? source)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new PolicySet(Parser.ParsePolicies(text, idPrefix, source));
    }

    /// <summary>
    /// Parses several Cedar texts as one set, numbering policies <c>policy0</c>, <c>policy1</c>, … across them in
    /// order, exactly as if the texts were concatenated. Errors name the source of the text.
    /// </summary>
    /// <exception cref="PolicyParseException">A text is not valid Cedar.</exception>
    public static PolicySet Parse(IEnumerable<(string Source, string Text)> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var all = new List<CedarPolicy>();
        foreach (var (source, text) in sources)
        {
            all.AddRange(Parser.ParsePolicies(text, null, source, all.Count));
        }
        return new PolicySet(all);
    }

    /// <summary>Combines several sets into one (ids must be unique across them).</summary>
    /// <exception cref="ArgumentException">Two policies share an id.</exception>
    public static PolicySet Combine(IEnumerable<PolicySet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        var all = new List<CedarPolicy>();
        foreach (var s in sets)
        {
            all.AddRange(s.Policies);
        }
        return new PolicySet(all);
    }

    /// <summary>Finds a policy by id.</summary>
    public CedarPolicy? Find(string id)
    {
        foreach (var p in Policies)
        {
            if (p.Id == id)
            {
                return p;
            }
        }
        return null;
    }
}
