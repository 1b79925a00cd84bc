using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aztp.Core.Internal;

/// <summary>Routes System.Text.Json (reflection or source-generated) through the canonical form.</summary>
internal sealed class SecurityEventJsonConverter : JsonConverter<SecurityEvent>
{
    public override SecurityEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SecurityEventJson.Read(ref reader);

    public override void Write(Utf8JsonWriter writer, SecurityEvent value, JsonSerializerOptions options) =>
        SecurityEventJson.Write(writer, value);
}
