namespace LiveCommerce.Grains.Common;

/// <summary>
/// Persists a reentrant grain's state for many concurrent callers with as few storage writes as possible.
/// A caller mutates state synchronously, then awaits <see cref="WriteAsync"/>: it is answered only after a write
/// that began after its mutation has completed. Callers that arrive while a write is in flight share the next
/// write, so under load one storage round trip persists a whole batch of changes.
/// Must be used from the grain's own scheduler (it relies on the grain's single-threaded turns, not on locks).
/// </summary>
public sealed class CoalescingWriter(Func<Task> write, Action<Exception>? onFailure = null)
{
    private TaskCompletionSource? _waiting;
    private bool _writing;

    /// <summary>Number of storage writes performed (for tests and benchmarks).</summary>
    public long Writes { get; private set; }

    /// <summary>Number of callers served (for tests and benchmarks).</summary>
    public long Requests { get; private set; }

    public Task WriteAsync()
    {
        Requests++;
        var waiting = _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing) _ = PumpAsync();
        return waiting.Task;
    }

    private async Task PumpAsync()
    {
        _writing = true;
        try
        {
            while (_waiting is { } batch)
            {
                _waiting = null;
                try
                {
                    Writes++;
                    await write();
                    batch.SetResult();
                }
                catch (Exception e)
                {
                    onFailure?.Invoke(e);
                    batch.SetException(e);
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }
}
