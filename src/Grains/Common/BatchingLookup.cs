namespace LiveCommerce.Grains.Common;

/// <summary>
/// Combines point lookups that arrive while others are in flight into one batched query: the first caller's
/// query starts at once (no added latency when idle); callers arriving meanwhile wait for the next batch, which
/// carries all of them. At most <paramref name="maxInFlight"/> batches run at a time, each of at most
/// <paramref name="maxBatch"/> keys. Under load this turns hundreds of single-row round trips into a few.
/// </summary>
public sealed class BatchingLookup<TKey, TValue>(
    Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> query,
    int maxInFlight = 4,
    int maxBatch = 512) where TKey : notnull where TValue : class
{
    private readonly object _gate = new();
    private List<(TKey Key, TaskCompletionSource<TValue?> Answer)> _pending = [];
    private int _inFlight;

    /// <summary>How many queries ran (for tests and metrics).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    private long _batches;

    public Task<TValue?> FindAsync(TKey key)
    {
        var answer = new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _pending.Add((key, answer));
            start = _inFlight < maxInFlight;
            if (start) _inFlight++;
        }
        // Off the caller's scheduler: a grain's turn must not run the database I/O of other grains' lookups.
        if (start) _ = Task.Run(DrainAsync);
        return answer.Task;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<(TKey Key, TaskCompletionSource<TValue?> Answer)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _inFlight--;
                    return;
                }
                if (_pending.Count <= maxBatch)
                {
                    batch = _pending;
                    _pending = [];
                }
                else
                {
                    batch = _pending.GetRange(0, maxBatch);
                    _pending.RemoveRange(0, maxBatch);
                }
            }
            Interlocked.Increment(ref _batches);
            try
            {
                var found = await query(batch.Select(b => b.Key).Distinct().ToList(), CancellationToken.None);
                foreach (var (key, answer) in batch) answer.TrySetResult(found.TryGetValue(key, out var value) ? value : default);
            }
            catch (Exception e)
            {
                foreach (var (_, answer) in batch) answer.TrySetException(e);
            }
        }
    }
}
