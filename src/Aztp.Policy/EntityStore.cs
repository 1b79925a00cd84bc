using System.Collections.Frozen;
using System.Text.Json;
using Aztp.Policy.Internal;

namespace Aztp.Policy;

/// <summary>
/// An immutable set of Cedar entities (attributes, tags, parents) with the transitive closure of the hierarchy
/// computed once. Built from Cedar's JSON entity format.
/// </summary>
public sealed class EntityStore
{
    private readonly FrozenDictionary<EntityUid, EntityData> _entities;

    private EntityStore(FrozenDictionary<EntityUid, EntityData> entities) => _entities = entities;

    /// <summary>A store with no entities.</summary>
    public static EntityStore Empty { get; } = new(FrozenDictionary<EntityUid, EntityData>.Empty);

    /// <summary>Number of entities.</summary>
    public int Count => _entities.Count;

    /// <summary>Parses a JSON array of entities in Cedar's format (<c>uid</c>, <c>attrs</c>, <c>parents</c>, <c>tags</c>).</summary>
    /// <exception cref="CedarJsonException">The JSON is malformed, an entity is duplicated or the hierarchy has a cycle.</exception>
    public static EntityStore FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromJson(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new CedarJsonException($"entities: invalid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses a JSON array of entities in Cedar's format.</summary>
    /// <exception cref="CedarJsonException">The JSON is malformed, an entity is duplicated or the hierarchy has a cycle.</exception>
    public static EntityStore FromJson(JsonElement entities) =>
        new(CedarJson.ParseEntities(entities).ToFrozenDictionary());

    /// <summary>True when the store holds the entity.</summary>
    public bool Contains(EntityUid uid) => _entities.ContainsKey(uid);

    /// <summary>The direct and transitive ancestors of an entity (empty when the entity is not in the store).</summary>
    public IReadOnlySet<EntityUid> AncestorsOf(EntityUid uid) =>
        _entities.TryGetValue(uid, out var e) ? e.Ancestors : FrozenSet<EntityUid>.Empty;

    internal FrozenSet<EntityUid> AncestorSet(EntityUid uid) =>
        _entities.TryGetValue(uid, out var e) ? e.Ancestors : FrozenSet<EntityUid>.Empty;

    internal bool TryGet(EntityUid uid, out EntityData data) => _entities.TryGetValue(uid, out data!);

    /// <summary>Cedar's <c>in</c>: equal, or an ancestor through the hierarchy.</summary>
    internal bool IsIn(EntityUid uid, EntityUid target) =>
        uid.Equals(target) || (_entities.TryGetValue(uid, out var e) && e.Ancestors.Contains(target));
}
