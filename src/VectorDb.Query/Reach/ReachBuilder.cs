namespace VectorDb.Query.Reach;

/// <summary>
/// The background work of payload-aware reach: one chain of tasks per index (linking a value's points, building a
/// value's graph, a pass of border links), each after the one before, so building never holds a writer and the
/// index's disposal can stop it and wait for it.
/// </summary>
internal sealed class ReachBuilder : IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly HashSet<int> _queued = []; // values whose building the chain holds
    private Task _chain = Task.CompletedTask;

    /// <summary>True while work is queued or running.</summary>
    public bool Building => !Volatile.Read(ref _chain).IsCompleted;

    /// <summary>
    /// Queues building for a value, once; <paramref name="build"/> returns false when the value had too few points
    /// after all (some were deleted meanwhile), and it may be queued again when it has enough.
    /// </summary>
    public void QueueValue(int value, Func<int, CancellationToken, bool> build)
    {
        lock (_lock)
        {
            if (_disposing.IsCancellationRequested || !_queued.Add(value))
            {
                return;
            }

            Chain(cancel =>
            {
                if (!build(value, cancel))
                {
                    lock (_lock)
                    {
                        _queued.Remove(value);
                    }
                }
            });
        }
    }

    /// <summary>Queues work after what is queued; <paramref name="when"/>, checked under the builder's lock, may decline it.</summary>
    public void Queue(Action<CancellationToken> work, Func<bool>? when = null)
    {
        lock (_lock)
        {
            if (!_disposing.IsCancellationRequested && (when is null || when()))
            {
                Chain(work);
            }
        }
    }

    /// <summary>Waits for the work queued so far, and for what it queues in turn.</summary>
    public void Wait()
    {
        Task waited;
        do
        {
            waited = Volatile.Read(ref _chain);
            waited.Wait();
        }
        while (waited != Volatile.Read(ref _chain));
    }

    /// <summary>Stops the work (it checks the token it was given) and waits for it; nothing is queued afterwards.</summary>
    public void Dispose()
    {
        _disposing.Cancel();
        try
        {
            Volatile.Read(ref _chain).Wait();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OperationCanceledException))
        {
        }

        lock (_lock)
        {
            _disposing.Dispose(); // under the lock, where work is queued with its token
        }
    }

    /// <summary>Appends work to the chain; the caller holds the lock.</summary>
    private void Chain(Action<CancellationToken> work)
    {
        var cancel = _disposing.Token;
        _chain = _chain.ContinueWith(_ => work(cancel), cancel, TaskContinuationOptions.None, TaskScheduler.Default);
    }
}
