namespace Aztp.Audit;

/// <summary>The outcome of a retention run.</summary>
/// <param name="Deleted">Records deleted.</param>
/// <param name="StartsAtSeq">The seq of the checkpoint the store now starts at; 0 when nothing was deleted.</param>
public sealed record AuditPruneResult(long Deleted, long StartsAtSeq);
