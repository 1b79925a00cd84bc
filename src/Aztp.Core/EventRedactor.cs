using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Aztp.Core;

/// <summary>
/// Masks secrets in event data before any handler sees an event. Three rules (docs/events.md):
/// <list type="number">
/// <item>A value under a sensitive key is replaced by <c>[REDACTED]</c>. A key is sensitive when one of its words
/// (split at camelCase, <c>_</c>, <c>-</c>, <c>.</c>) is token, password, passwd, passphrase, secret, authorization,
/// cookie, credential or bearer (or their plurals), or its last word is key/keys (<c>apiKey</c>, <c>private_key</c>,
/// but not <c>keyId</c>).</item>
/// <item>A PEM block (<c>-----BEGIN …-----</c> to <c>-----END …-----</c>, or to the end if unterminated) inside any
/// string becomes <c>[REDACTED:PEM]</c>.</item>
/// <item>A JWT-shaped string (<c>eyJ…</c>.<c>…</c>.<c>…</c>, base64url segments) inside any string becomes
/// <c>[REDACTED:JWT]</c>.</item>
/// </list>
/// Rules apply recursively to nested objects and arrays. An event with nothing to mask is returned as is.
/// </summary>
public static partial class EventRedactor
{
    /// <summary>The replacement for a value under a sensitive key.</summary>
    public const string Mask = "[REDACTED]";

    /// <summary>The replacement for a PEM block.</summary>
    public const string PemMask = "[REDACTED:PEM]";

    /// <summary>The replacement for a JWT.</summary>
    public const string JwtMask = "[REDACTED:JWT]";

    private static readonly System.Buffers.SearchValues<string> Markers =
        System.Buffers.SearchValues.Create(["-----BEGIN", "eyJ"], StringComparison.Ordinal);

    private static readonly string[] SensitiveWords =
        ["token", "password", "passwd", "passphrase", "secret", "authorization", "cookie", "credential", "bearer"];

    /// <summary>The event with its data redacted (the same instance when nothing needed masking).</summary>
    public static SecurityEvent Redact(SecurityEvent securityEvent)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        var data = RedactData(securityEvent.Data, null);
        return ReferenceEquals(data, securityEvent.Data) ? securityEvent : securityEvent.WithData(data);
    }

    /// <summary>Whether a data key names a secret (rule 1).</summary>
    public static bool IsSensitiveKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (KeyCache.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var result = ComputeSensitive(key);
        if (KeyCache.Count < MaxCachedKeys)
        {
            KeyCache.TryAdd(key, result);
        }
        return result;
    }

    /// <summary>A string with PEM blocks and JWTs masked (rules 2 and 3); the same instance when nothing matched.</summary>
    public static string RedactString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // One vectorized pass finds whether either marker occurs at all; most strings (ids, method names) hold neither.
        if (!value.AsSpan().ContainsAny(Markers))
        {
            return value;
        }
        var result = value;
        if (result.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            result = PemRegex().Replace(result, PemMask);
        }
        if (result.Contains("eyJ", StringComparison.Ordinal))
        {
            result = JwtRegex().Replace(result, JwtMask);
        }
        return result;
    }

    /// <summary>
    /// <see cref="Redact(SecurityEvent)"/> for the monitor's emit path: string instances already found clean (kept in
    /// <paramref name="clean"/>, shared by the emitting threads) are not scanned again, and instances found clean now are
    /// added. The rules and the result are those of <see cref="Redact(SecurityEvent)"/>.
    /// </summary>
    internal static SecurityEvent Redact(SecurityEvent securityEvent, Internal.CleanStrings clean)
    {
        var data = RedactData(securityEvent.Data, clean);
        return ReferenceEquals(data, securityEvent.Data) ? securityEvent : securityEvent.WithData(data);
    }

    private static EventData RedactData(EventData data, Internal.CleanStrings? clean)
    {
        EventData.Builder? builder = null;
        var checkKeys = !data.KeysNotSensitive;
        var count = data.Count;
        for (var i = 0; i < count; i++)
        {
            var value = data.ValueAt(i);
            EventValue redacted;
            bool changed;
            // Rule 1 first: a value under a sensitive key is masked whatever it holds (found clean elsewhere or not).
            if (checkKeys && !value.IsNull && IsSensitiveKey(data.KeyAt(i)))
            {
                redacted = Mask;
                changed = !redacted.Equals(value);
            }
            else
            {
                changed = TryRedactValue(value, clean, out redacted);
            }
            if (builder is null && changed)
            {
                builder = new EventData.Builder();
                for (var j = 0; j < i; j++)
                {
                    builder[data.KeyAt(j)] = data.ValueAt(j);
                }
            }
            if (builder is not null)
            {
                builder[data.KeyAt(i)] = redacted;
            }
        }
        return builder?.Build() ?? data;
    }

    // Rules 2 and 3 on one value, recursively: true with the masked form when something was masked. Booleans, numbers
    // and nulls hold no text and are never scanned.
    private static bool TryRedactValue(EventValue value, Internal.CleanStrings? clean, out EventValue redacted)
    {
        switch (value.Kind)
        {
            case EventValueKind.String:
                var s = (string)value.Reference!;
                if (clean is not null && clean.Contains(s))
                {
                    redacted = value;
                    return false;
                }
                var r = RedactString(s);
                // Nothing matched (RedactString then returns the same instance; a mask never equals what it replaced).
                if (string.Equals(s, r, StringComparison.Ordinal))
                {
                    clean?.Add(s);
                    redacted = value;
                    return false;
                }
                redacted = r;
                return true;
            case EventValueKind.Array:
                var items = value.AsArray();
                ImmutableArray<EventValue>.Builder? changed = null;
                for (var i = 0; i < items.Length; i++)
                {
                    var itemChanged = TryRedactValue(items[i], clean, out var item);
                    if (changed is null && itemChanged)
                    {
                        changed = ImmutableArray.CreateBuilder<EventValue>(items.Length);
                        changed.AddRange(items, i);
                    }
                    changed?.Add(itemChanged ? item : items[i]);
                }
                redacted = changed is null ? value : changed.ToImmutable();
                return changed is not null;
            case EventValueKind.Object:
                var obj = (EventData)value.Reference!;
                var red = RedactData(obj, clean);
                redacted = ReferenceEquals(obj, red) ? value : red;
                return !ReferenceEquals(obj, red);
            default:
                redacted = value;
                return false;
        }
    }

    // Keys repeat endlessly (action, method, peer…); remember the answer for a bounded number of distinct keys.
    private const int MaxCachedKeys = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> KeyCache = new(StringComparer.Ordinal);

    private static bool ComputeSensitive(string key)
    {
        var span = key.AsSpan();
        ReadOnlySpan<char> last = default;
        var start = 0;
        for (var i = 0; i <= span.Length; i++)
        {
            var separator = i < span.Length && span[i] is '_' or '-' or '.' or ' ' or ':';
            var boundary = i == span.Length || separator || (i > start && char.IsUpper(span[i]) && char.IsLower(span[i - 1]));
            if (!boundary)
            {
                continue;
            }
            if (i > start)
            {
                var word = span[start..i];
                if (IsSensitiveWord(word))
                {
                    return true;
                }
                last = word;
            }
            start = separator ? i + 1 : i;
        }
        return last.Equals("key", StringComparison.OrdinalIgnoreCase) || last.Equals("keys", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsSensitiveWord(ReadOnlySpan<char> word)
    {
        foreach (var sensitive in SensitiveWords)
        {
            if (word.Equals(sensitive, StringComparison.OrdinalIgnoreCase)
                || (word.Length == sensitive.Length + 1 && (word[^1] is 's' or 'S') && word[..^1].Equals(sensitive, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }

    [GeneratedRegex(@"-----BEGIN [^-\r\n]*-----[\s\S]*?(?:-----END [^-\r\n]*-----|\z)", RegexOptions.CultureInvariant)]
    private static partial Regex PemRegex();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant)]
    private static partial Regex JwtRegex();
}
