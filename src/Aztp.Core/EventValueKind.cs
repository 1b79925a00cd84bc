namespace Aztp.Core;

/// <summary>The JSON kind of an <see cref="EventValue"/>.</summary>
public enum EventValueKind
{
    /// <summary>JSON null.</summary>
    Null,

    /// <summary>A string.</summary>
    String,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>A 64-bit integer.</summary>
    Integer,

    /// <summary>A finite double-precision number.</summary>
    Number,

    /// <summary>An array of values.</summary>
    Array,

    /// <summary>A nested object (an <see cref="EventData"/>).</summary>
    Object,
}
