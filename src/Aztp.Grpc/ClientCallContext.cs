using System.Diagnostics;

namespace Aztp.Grpc;

/// <summary>What a client interceptor knows about a call before it is sent.</summary>
public sealed class ClientCallContext
{
    private readonly IList<ClientInterceptor> _interceptors;
    private Dictionary<object, object?>? _items;
    // The first interceptor's state in a field (most channels have one interceptor: no array per call), the others'
    // in an array indexed by their position.
    private object? _firstState;
    private object?[]? _states;

    internal ClientCallContext(string method, MethodType type, Uri address, Metadata requestHeaders, DateTime? deadline,
        IList<ClientInterceptor> interceptors)
    {
        _interceptors = interceptors;
        Method = method;
        Type = type;
        Address = address;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The full method path, e.g. <c>/grpc.testing.TestService/UnaryCall</c>.</summary>
    public string Method { get; }

    /// <summary>The kind of method.</summary>
    public MethodType Type { get; }

    /// <summary>The channel's address.</summary>
    public Uri Address { get; }

    /// <summary>The request metadata; interceptors may add entries (e.g. a W3C <c>traceparent</c>).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>The UTC deadline, or <see langword="null"/>.</summary>
    public DateTime? Deadline { get; }

    /// <summary>
    /// The <see cref="Stopwatch"/> timestamp taken when the call was set up, before the first interceptor's start
    /// callback: <c>Stopwatch.GetElapsedTime(StartTimestamp)</c> is the call's duration so far (for example in
    /// <see cref="ClientInterceptor.OnCallCompleted"/>), with no per-call state of the interceptor's own.
    /// </summary>
    public long StartTimestamp { get; }

    /// <summary>A per-call property bag, shared between an interceptor's start and completion callbacks (created on first use).</summary>
    public IDictionary<object, object?> Items => _items ??= new Dictionary<object, object?>();

    /// <summary>
    /// The state an interceptor of this call's channel kept for the call with <see cref="SetState"/>, or
    /// <see langword="null"/>. Cheaper than <see cref="Items"/>: one slot per interceptor, no dictionary.
    /// </summary>
    /// <param name="interceptor">The interceptor whose state to read; one of the channel's interceptors.</param>
    /// <exception cref="ArgumentNullException"><paramref name="interceptor"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="interceptor"/> is not one of this call's interceptors.</exception>
    public object? GetState(ClientInterceptor interceptor)
    {
        var slot = SlotOf(interceptor);
        if (slot == 0)
        {
            return _firstState;
        }
        return _states is { } states && slot < states.Length ? states[slot] : null;
    }

    /// <summary>Keeps one value for <paramref name="interceptor"/> for this call, e.g. from its start to its completion callback.</summary>
    /// <param name="interceptor">The interceptor the state belongs to; one of the channel's interceptors.</param>
    /// <param name="state">The value, or <see langword="null"/> to clear it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="interceptor"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="interceptor"/> is not one of this call's interceptors.</exception>
    public void SetState(ClientInterceptor interceptor, object? state)
    {
        var slot = SlotOf(interceptor);
        if (slot == 0)
        {
            _firstState = state;
            return;
        }
        _states ??= new object?[_interceptors.Count];
        if (slot >= _states.Length)
        {
            // The channel's list grew during the call.
            Array.Resize(ref _states, _interceptors.Count);
        }
        _states[slot] = state;
    }

    private int SlotOf(ClientInterceptor interceptor)
    {
        ArgumentNullException.ThrowIfNull(interceptor);
        for (var i = 0; i < _interceptors.Count; i++)
        {
            if (ReferenceEquals(_interceptors[i], interceptor))
            {
                return i;
            }
        }
        throw new ArgumentException("The interceptor is not one of this call's channel interceptors.", nameof(interceptor));
    }
}
