namespace Aztp.Audit.Internal;

/// <summary>
/// A dedicated thread that runs one job at a time for a sink (chaining a batch while the sink's own thread stores it).
/// Dedicated rather than the thread pool: the storing thread blocks until the first records are chained, and a pool
/// short of threads must never be able to stall that hand-off.
/// </summary>
internal sealed class ChainWorker : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private Action? _job;
    private volatile bool _stopping;

    public ChainWorker(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="job"/> on the worker thread. The caller must not start another before this one ended.</summary>
    public void Start(Action job)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        Volatile.Write(ref _job, job);
        _wake.Release();
    }

    /// <summary>Stops the thread after its current job and waits for it.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _wake.Release();
        _thread.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        while (true)
        {
            _wake.Wait();
            if (_stopping)
            {
                return;
            }
            // A job reports its own failures to whoever waits for it (ChainBatch.Complete); nothing escapes here.
            Interlocked.Exchange(ref _job, null)?.Invoke();
        }
    }
}
