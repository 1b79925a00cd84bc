using Aztp.Core;

namespace Aztp.Audit;

/// <summary>A stored event with its position in the chain.</summary>
/// <param name="Seq">The record's seq.</param>
/// <param name="Event">The event.</param>
public sealed record AuditEntry(long Seq, SecurityEvent Event);
