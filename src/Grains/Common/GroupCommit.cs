namespace LiveCommerce.Grains.Common;

/// <summary>
/// Gathers items from many callers (any grains, any threads) into few flushes: one flush runs at a time, and a new
/// one starts at most once per <c>interval</c>, carrying everything that arrived meanwhile. A caller's task completes
/// when the flush that carried its items has completed (or fails with it, and the caller keeps its items to retry).
/// For writes whose round trips cost more than their rows, where a short delay is acceptable.
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> flush, TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private List<T> _pending = [];
    private TaskCompletionSource? _next;
    private bool _pumping;
    private long _lastStart = long.MinValue;

    /// <summary>Number of flushes performed (for tests and metrics).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);
    private long _flushes;

    public Task AppendAsync(IReadOnlyCollection<T> items)
    {
        if (items.Count == 0) return Task.CompletedTask;
        lock (_gate)
        {
            _pending.AddRange(items);
            var next = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_pumping)
            {
                _pumping = true;
                // Off the caller's scheduler: a grain's turn must not carry other grains' flushes.
                _ = Task.Run(PumpAsync);
            }
            return next.Task;
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            var wait = _lastStart == long.MinValue ? TimeSpan.Zero : interval - _time.GetElapsedTime(_lastStart);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time);
            List<T> batch;
            TaskCompletionSource done;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _pumping = false;
                    return;
                }
                (batch, _pending) = (_pending, []);
                done = _next!;
                _next = null;
            }
            _lastStart = _time.GetTimestamp();
            Interlocked.Increment(ref _flushes);
            try
            {
                await flush(batch);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }
}
