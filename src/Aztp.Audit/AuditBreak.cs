namespace Aztp.Audit;

/// <summary>The first place an audit chain is broken.</summary>
/// <param name="Kind">How it is broken.</param>
/// <param name="Seq">The seq of the first broken record (for <see cref="AuditBreakKind.Truncated"/>, the first seq not covered by a checkpoint).</param>
/// <param name="Position">The 1-based position in store order (line or row) where the break was detected.</param>
/// <param name="Message">A human-readable explanation.</param>
public sealed record AuditBreak(AuditBreakKind Kind, long Seq, long Position, string Message);
