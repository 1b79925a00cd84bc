using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Aztp.Core;

namespace Aztp.Audit;

/// <summary>An alert: matching events of one (type, action, peer) reached the threshold.</summary>
/// <param name="Type">The event type (<c>policy</c>, <c>identity</c>, …).</param>
/// <param name="Action">The events' <c>data.action</c>.</param>
/// <param name="Peer">The peer: <c>data.peer</c>, <c>data.principal</c>, or the actor's id or address.</param>
/// <param name="Count">Matching events within the window that triggered the alert.</param>
/// <param name="Suppressed">Matching events seen since the previous alert for this key that raised none (de-duplicated).</param>
/// <param name="FirstSeen">Time of the first counted event.</param>
/// <param name="LastSeen">Time of the triggering event.</param>
/// <param name="LastEvent">The triggering event.</param>
public sealed record AuditAlert(string Type, string? Action, string? Peer, int Count, long Suppressed, DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen, SecurityEvent LastEvent)
{
    /// <summary>
    /// The webhook body: <c>{"source":"aztp","type","action","peer","count","suppressed","firstSeen","lastSeen","severity","outcome","event":{…}}</c>.
    /// </summary>
    public byte[] ToJsonBytes()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, SecurityEventJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("source", "aztp");
            w.WriteString("type", Type);
            w.WriteString("action", Action);
            w.WriteString("peer", Peer);
            w.WriteNumber("count", Count);
            w.WriteNumber("suppressed", Suppressed);
            w.WriteString("firstSeen", FirstSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("lastSeen", LastSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("severity", SecurityEventJson.SeverityName(LastEvent.Severity));
            w.WriteString("outcome", SecurityEventJson.OutcomeName(LastEvent.Outcome));
            w.WritePropertyName("event");
            SecurityEventJson.Write(w, LastEvent);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
