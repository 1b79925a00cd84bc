using System.Collections.Frozen;

namespace Aztp.Policy.Internal;

/// <summary>
/// Files every policy under exactly one anchor, the most selective part of its scope: <c>principal ==</c>,
/// <c>action ==</c>, <c>resource ==</c>, then <c>in</c> targets (looked up through the request entity's ancestors),
/// then <c>is</c> types; policies with no anchor are always candidates. One bucket per policy means no duplicates.
/// </summary>
internal sealed class PolicyIndex
{
    private static readonly CedarPolicy[] None = [];

    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _principalEq;
    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _actionEq;
    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _resourceEq;
    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _principalIn;
    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _actionIn;
    private readonly FrozenDictionary<EntityUid, CedarPolicy[]> _resourceIn;
    private readonly FrozenDictionary<string, CedarPolicy[]> _principalIs;
    private readonly FrozenDictionary<string, CedarPolicy[]> _resourceIs;
    private readonly CedarPolicy[] _always;
    private readonly FrozenDictionary<CedarPolicy, int> _ordinal;

    public PolicyIndex(IReadOnlyList<CedarPolicy> policies)
    {
        var pEq = new Dictionary<EntityUid, List<CedarPolicy>>();
        var aEq = new Dictionary<EntityUid, List<CedarPolicy>>();
        var rEq = new Dictionary<EntityUid, List<CedarPolicy>>();
        var pIn = new Dictionary<EntityUid, List<CedarPolicy>>();
        var aIn = new Dictionary<EntityUid, List<CedarPolicy>>();
        var rIn = new Dictionary<EntityUid, List<CedarPolicy>>();
        var pIs = new Dictionary<string, List<CedarPolicy>>(StringComparer.Ordinal);
        var rIs = new Dictionary<string, List<CedarPolicy>>(StringComparer.Ordinal);
        var always = new List<CedarPolicy>();
        var ordinal = new Dictionary<CedarPolicy, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < policies.Count; i++)
        {
            var p = policies[i];
            ordinal[p] = i;
            if (p.Principal.Op == ScopeOp.Eq)
            {
                Add(pEq, p.Principal.Entity!, p);
            }
            else if (p.Action.Op == ScopeOp.Eq)
            {
                Add(aEq, p.Action.Entity!, p);
            }
            else if (p.Resource.Op == ScopeOp.Eq)
            {
                Add(rEq, p.Resource.Entity!, p);
            }
            else if (p.Principal.Op is ScopeOp.In or ScopeOp.IsIn)
            {
                Add(pIn, p.Principal.Entity!, p);
            }
            else if (p.Action.Op == ScopeOp.In)
            {
                Add(aIn, p.Action.Entity!, p);
            }
            else if (p.Action.Op == ScopeOp.InSet && p.Action.Entities!.Length == 1)
            {
                Add(aIn, p.Action.Entities[0], p);
            }
            else if (p.Resource.Op is ScopeOp.In or ScopeOp.IsIn)
            {
                Add(rIn, p.Resource.Entity!, p);
            }
            else if (p.Principal.Op == ScopeOp.Is)
            {
                Add(pIs, p.Principal.EntityType!, p);
            }
            else if (p.Resource.Op == ScopeOp.Is)
            {
                Add(rIs, p.Resource.EntityType!, p);
            }
            else
            {
                always.Add(p);
            }
        }
        _principalEq = Freeze(pEq);
        _actionEq = Freeze(aEq);
        _resourceEq = Freeze(rEq);
        _principalIn = Freeze(pIn);
        _actionIn = Freeze(aIn);
        _resourceIn = Freeze(rIn);
        _principalIs = pIs.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _resourceIs = rIs.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _always = always.ToArray();
        _ordinal = ordinal.ToFrozenDictionary(ReferenceEqualityComparer.Instance);
    }

    public int OrdinalOf(CedarPolicy p) => _ordinal[p];

    private static void Add<TKey>(Dictionary<TKey, List<CedarPolicy>> d, TKey key, CedarPolicy p)
        where TKey : notnull
    {
        if (!d.TryGetValue(key, out var list))
        {
            d[key] = list = [];
        }
        list.Add(p);
    }

    private static FrozenDictionary<EntityUid, CedarPolicy[]> Freeze(Dictionary<EntityUid, List<CedarPolicy>> d) =>
        d.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    /// <summary>Calls <paramref name="visit"/> for every candidate policy (each at most once); stops when it returns false.</summary>
    public void ForEachCandidate<TState>(AuthorizationRequest r, EntityStore store, ref TState state, CandidateVisitor<TState> visit)
    {
        if (!Bucket(_principalEq, r.Principal, ref state, visit)
            || !Bucket(_actionEq, r.Action, ref state, visit)
            || !Bucket(_resourceEq, r.Resource, ref state, visit)
            || !Hierarchy(_principalIn, r.Principal, store, ref state, visit)
            || !Hierarchy(_actionIn, r.Action, store, ref state, visit)
            || !Hierarchy(_resourceIn, r.Resource, store, ref state, visit)
            || !TypeBucket(_principalIs, r.Principal.Type, ref state, visit)
            || !TypeBucket(_resourceIs, r.Resource.Type, ref state, visit))
        {
            return;
        }
        Visit(_always, ref state, visit);
    }

    private static bool Visit<TState>(CedarPolicy[] list, ref TState state, CandidateVisitor<TState> visit)
    {
        foreach (var p in list)
        {
            if (!visit(p, ref state))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Bucket<TState>(FrozenDictionary<EntityUid, CedarPolicy[]> d, EntityUid key, ref TState state, CandidateVisitor<TState> visit) =>
        d.Count == 0 || !d.TryGetValue(key, out var list) || Visit(list, ref state, visit);

    private static bool TypeBucket<TState>(FrozenDictionary<string, CedarPolicy[]> d, string key, ref TState state, CandidateVisitor<TState> visit) =>
        d.Count == 0 || !d.TryGetValue(key, out var list) || Visit(list, ref state, visit);

    private static bool Hierarchy<TState>(FrozenDictionary<EntityUid, CedarPolicy[]> d, EntityUid uid, EntityStore store, ref TState state, CandidateVisitor<TState> visit)
    {
        if (d.Count == 0)
        {
            return true;
        }
        if (d.TryGetValue(uid, out var self) && !Visit(self, ref state, visit))
        {
            return false;
        }
        if (store.TryGet(uid, out var data))
        {
            foreach (var anc in data.Ancestors)
            {
                if (d.TryGetValue(anc, out var list) && !Visit(list, ref state, visit))
                {
                    return false;
                }
            }
        }
        return true;
    }
}

/// <summary>Receives one candidate policy; returns false to stop the enumeration.</summary>
internal delegate bool CandidateVisitor<TState>(CedarPolicy policy, ref TState state);
