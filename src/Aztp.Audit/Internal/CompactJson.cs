using System.Buffers;

namespace Aztp.Audit.Internal;

/// <summary>
/// A strict, allocation-free syntax check for JSON as the audit writers produce it: no whitespace, nesting at most
/// <see cref="MaxDepth"/>, valid UTF-8. It is sound but not complete: true means the bytes are exactly one JSON value
/// that <see cref="System.Text.Json.Utf8JsonReader"/> (default options) also accepts; false means only "not shown here"
/// — the caller then falls back to <see cref="System.Text.Json.Utf8JsonReader"/>, which decides (whitespace, deeper
/// nesting, surrogate escapes and anything malformed all take that path).
/// </summary>
internal static class CompactJson
{
    public const int MaxDepth = 32;

    // What ends the plain run of a string: its closing quote, an escape, or a control character (never allowed raw).
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"u8);

    private const int ExpectValue = 0, ExpectKey = 1, AfterValue = 2;

    /// <summary>True when <paramref name="json"/> is exactly one JSON object, written compactly (see the class remarks).</summary>
    public static bool IsCompactObject(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'{' || !System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }
        Span<bool> isObject = stackalloc bool[MaxDepth];
        var depth = 0;
        var i = 0;
        var state = ExpectValue;
        while (true)
        {
            switch (state)
            {
                case ExpectValue:
                    if (i >= json.Length)
                    {
                        return false;
                    }
                    switch (json[i])
                    {
                        case (byte)'{':
                        case (byte)'[':
                            if (depth == MaxDepth)
                            {
                                return false;
                            }
                            var obj = json[i] == (byte)'{';
                            isObject[depth++] = obj;
                            i++;
                            if (i < json.Length && json[i] == (obj ? (byte)'}' : (byte)']'))
                            {
                                i++;
                                depth--;
                                state = AfterValue;
                            }
                            else
                            {
                                state = obj ? ExpectKey : ExpectValue;
                            }
                            break;
                        case (byte)'"':
                            if (!SkipString(json, ref i))
                            {
                                return false;
                            }
                            state = AfterValue;
                            break;
                        case (byte)'t':
                            if (!SkipLiteral(json, ref i, "true"u8))
                            {
                                return false;
                            }
                            state = AfterValue;
                            break;
                        case (byte)'f':
                            if (!SkipLiteral(json, ref i, "false"u8))
                            {
                                return false;
                            }
                            state = AfterValue;
                            break;
                        case (byte)'n':
                            if (!SkipLiteral(json, ref i, "null"u8))
                            {
                                return false;
                            }
                            state = AfterValue;
                            break;
                        default:
                            if (!SkipNumber(json, ref i))
                            {
                                return false;
                            }
                            state = AfterValue;
                            break;
                    }
                    break;
                case ExpectKey:
                    if (i >= json.Length || json[i] != (byte)'"' || !SkipString(json, ref i) || i >= json.Length || json[i] != (byte)':')
                    {
                        return false;
                    }
                    i++;
                    state = ExpectValue;
                    break;
                default:
                    if (depth == 0)
                    {
                        return i == json.Length;
                    }
                    if (i >= json.Length)
                    {
                        return false;
                    }
                    var c = json[i++];
                    if (c == (byte)',')
                    {
                        state = isObject[depth - 1] ? ExpectKey : ExpectValue;
                    }
                    else if (c == (isObject[depth - 1] ? (byte)'}' : (byte)']'))
                    {
                        depth--;
                    }
                    else
                    {
                        return false;
                    }
                    break;
            }
        }
    }

    // json[i] is the opening quote; on success i is just past the closing one.
    private static bool SkipString(ReadOnlySpan<byte> json, ref int i)
    {
        i++;
        while (true)
        {
            var stop = json[i..].IndexOfAny(StringStops);
            if (stop < 0)
            {
                return false;
            }
            i += stop;
            var c = json[i];
            if (c == (byte)'"')
            {
                i++;
                return true;
            }
            if (c != (byte)'\\' || i + 1 >= json.Length)
            {
                return false;
            }
            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    if (i + 6 > json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                    {
                        return false;
                    }
                    // Surrogate escapes (pairing rules) are left to Utf8JsonReader.
                    if ((json[i + 2] | 0x20) == (byte)'d' && json[i + 3] >= (byte)'8')
                    {
                        return false;
                    }
                    i += 6;
                    break;
                default:
                    return false;
            }
        }
    }

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static bool SkipLiteral(ReadOnlySpan<byte> json, ref int i, ReadOnlySpan<byte> literal)
    {
        if (!json[i..].StartsWith(literal))
        {
            return false;
        }
        i += literal.Length;
        return true;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private static bool SkipNumber(ReadOnlySpan<byte> json, ref int i)
    {
        if (json[i] == (byte)'-')
        {
            i++;
        }
        if (i >= json.Length || !char.IsAsciiDigit((char)json[i]))
        {
            return false;
        }
        if (json[i] == (byte)'0')
        {
            i++;
        }
        else
        {
            SkipDigits(json, ref i);
        }
        if (i < json.Length && json[i] == (byte)'.')
        {
            i++;
            if (!SkipDigits(json, ref i))
            {
                return false;
            }
        }
        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }
            if (!SkipDigits(json, ref i))
            {
                return false;
            }
        }
        return true;
    }

    private static bool SkipDigits(ReadOnlySpan<byte> json, ref int i)
    {
        var start = i;
        while (i < json.Length && char.IsAsciiDigit((char)json[i]))
        {
            i++;
        }
        return i > start;
    }
}
