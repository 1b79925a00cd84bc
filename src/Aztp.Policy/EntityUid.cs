using System.Globalization;
using System.Text;

namespace Aztp.Policy;

/// <summary>
/// A Cedar entity reference: an entity type (possibly namespaced, e.g. <c>Acme::User</c>) and an id,
/// written in Cedar as <c>Type::"id"</c>. Compared by value.
/// </summary>
public sealed class EntityUid : IEquatable<EntityUid>
{
    private readonly int _hash;

    /// <summary>Creates an entity reference.</summary>
    /// <param name="type">The entity type name, e.g. <c>Agent</c> or <c>Acme::Group</c>.</param>
    /// <param name="id">The entity id (any string).</param>
    /// <exception cref="ArgumentException">The type is empty.</exception>
    public EntityUid(string type, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(id);
        Type = type;
        Id = id;
        _hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(type), StringComparer.Ordinal.GetHashCode(id));
    }

    /// <summary>The entity type name.</summary>
    public string Type { get; }

    /// <summary>The entity id.</summary>
    public string Id { get; }

    /// <summary>Parses Cedar's text form <c>Type::"id"</c> (the id may use Cedar string escapes).</summary>
    /// <exception cref="FormatException">The text is not an entity reference.</exception>
    public static EntityUid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return Internal.Parser.ParseEntityUid(text);
        }
        catch (PolicyParseException ex)
        {
            throw new FormatException($"'{text}' is not a Cedar entity reference (Type::\"id\"): {ex.Message}", ex);
        }
    }

    /// <summary>Parses Cedar's text form; returns false instead of throwing.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EntityUid? uid)
    {
        uid = null;
        if (text is null)
        {
            return false;
        }
        try
        {
            uid = Internal.Parser.ParseEntityUid(text);
            return true;
        }
        catch (PolicyParseException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public bool Equals(EntityUid? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && string.Equals(Type, other.Type, StringComparison.Ordinal) && string.Equals(Id, other.Id, StringComparison.Ordinal)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EntityUid);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>Cedar's text form, <c>Type::"id"</c> with the id escaped.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Type.Length + Id.Length + 6);
        sb.Append(Type).Append("::\"");
        AppendEscaped(sb, Id);
        sb.Append('"');
        return sb.ToString();
    }

    internal static void AppendEscaped(StringBuilder sb, string s)
    {
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u{").Append(((int)c).ToString("x", CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
    }
}
