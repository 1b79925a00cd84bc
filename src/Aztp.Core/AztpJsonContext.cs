using System.Text.Json.Serialization;

namespace Aztp.Core;

/// <summary>
/// Source-generated System.Text.Json metadata for Aztp's event types. Serializing a <see cref="SecurityEvent"/> through
/// this context produces its canonical form.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(SecurityEvent))]
[JsonSerializable(typeof(List<SecurityEvent>))]
public sealed partial class AztpJsonContext : JsonSerializerContext;
