using Aztp.Core;

namespace Aztp.Rpc.Tests;

internal static class EventDataExtensions
{
    public static string? GetString(this EventData data, string key) => data.TryGetValue(key, out var v) ? v.AsString() : null;

    public static bool? GetBoolean(this EventData data, string key) => data.TryGetValue(key, out var v) ? v.AsBoolean() : null;
}
