namespace Aztp.Policy;

/// <summary>A policy whose evaluation failed for a request; it was skipped (neither permits nor forbids).</summary>
/// <param name="PolicyId">The policy's id.</param>
/// <param name="Message">What went wrong (type error, missing attribute, overflow, …).</param>
public sealed record PolicyEvaluationError(string PolicyId, string Message);
