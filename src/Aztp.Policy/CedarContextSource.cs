namespace Aztp.Policy;

/// <summary>
/// Builds a request's <see cref="CedarContext"/> only when the policies that decide the request can read it. Give one
/// to <see cref="AuthorizationRequest(EntityUid, EntityUid, EntityUid, CedarContextSource)"/>: the Cedar engine asks
/// for the context after it has taken the policy snapshot that decides the request, and only when that snapshot's
/// <see cref="PolicySet.ReadsContext"/> is true; other engines (<see cref="OpaPolicyEngine"/>, your own
/// <see cref="IPolicyEngine"/>) read <see cref="AuthorizationRequest.Context"/>, which builds it.
/// </summary>
/// <remarks>
/// A source builds at most one context: the first successful <see cref="BuildContext"/> is kept and every later read
/// (of any request holding this source) returns that same instance; concurrent first reads wait for one build. When
/// <see cref="BuildContext"/> throws, nothing is kept, the exception reaches whoever read the context (the engine, and
/// from it the caller, which denies), and a later read calls <see cref="BuildContext"/> again. A source is meant for
/// one request; derive a small per-call class that holds the call's facts rather than capturing them in a closure.
/// </remarks>
public abstract class CedarContextSource
{
    // Null before the first build, Building during it, then the built context: one field keeps the per-call object small.
    private static readonly object Building = new();
    private object? _state;

    /// <summary>True once the context has been built (diagnostics and tests).</summary>
    public bool IsBuilt => Volatile.Read(ref _state) is CedarContext;

    /// <summary>Builds the context. Called only through the request, at most once per successful build.</summary>
    /// <returns>The context; never null.</returns>
    protected abstract CedarContext BuildContext();

    /// <summary>The context, built on first use.</summary>
    /// <exception cref="InvalidOperationException"><see cref="BuildContext"/> returned null or read its own context.</exception>
    internal CedarContext GetContext() => Volatile.Read(ref _state) as CedarContext ?? BuildOnce();

    private CedarContext BuildOnce()
    {
        // The source is private to its request (or requests copied from it), so locking on it contends with nothing
        // but a racing read of the same request; it costs no allocation.
        lock (this)
        {
            var state = _state;
            if (state is CedarContext done)
            {
                return done;
            }
            if (state == Building)
            {
                // The monitor is re-entrant: without this, a source that reads its own request would recurse forever.
                throw new InvalidOperationException($"{GetType().Name}.BuildContext read the context it is building.");
            }
            _state = Building;
            CedarContext? context = null;
            try
            {
                context = BuildContext()
                    ?? throw new InvalidOperationException($"{GetType().Name}.BuildContext returned null; return CedarContext.Empty for no facts.");
                return context;
            }
            finally
            {
                // Published only whole: a failed build leaves the source as it was, and the next read tries again.
                Volatile.Write<object?>(ref _state, context);
            }
        }
    }
}
