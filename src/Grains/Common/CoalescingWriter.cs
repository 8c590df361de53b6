using Orleans.Storage;

namespace LiveCommerce.Grains.Common;

/// <summary>
/// Persists a reentrant grain's state for many concurrent callers with as few storage writes as possible.
/// A caller mutates state synchronously, then awaits <see cref="WriteAsync"/>: it is answered only after a write
/// that began after its mutation has completed. Callers that arrive while a write is in flight share the next
/// write, so under load one storage round trip persists a whole batch of changes.
/// Must be used from the grain's own scheduler (it relies on the grain's single-threaded turns, not on locks).
/// After a failed write memory holds changes that storage does not, and a later write of what changed since would
/// persist state around the hole (a balance without its ledger line, a room's count without its stock line): so the
/// writer refuses every later write (<see cref="InconsistentStateException"/>, which callers retry on a fresh
/// activation) and the grain deactivates to reload (<paramref name="onFailure"/>).
/// </summary>
public sealed class CoalescingWriter(Func<Task> write, Action<Exception>? onFailure = null)
{
    private TaskCompletionSource? _waiting;
    private bool _writing;
    private Exception? _failed;

    /// <summary>Whether a write failed: this activation's memory is no longer what storage holds.</summary>
    public bool Failed => _failed is not null;

    /// <summary>Number of storage writes performed (for tests and benchmarks).</summary>
    public long Writes { get; private set; }

    /// <summary>Number of callers served (for tests and benchmarks).</summary>
    public long Requests { get; private set; }

    public Task WriteAsync()
    {
        Requests++;
        if (_failed is not null) return Task.FromException(Refusal(_failed));
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
                if (_failed is not null)
                {
                    batch.SetException(Refusal(_failed));
                    continue;
                }
                try
                {
                    Writes++;
                    await write();
                    batch.SetResult();
                }
                catch (Exception e)
                {
                    _failed = e;
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

    private static InconsistentStateException Refusal(Exception cause) =>
        new("An earlier write of this activation failed; it is deactivating to reload its state.", cause);
}
