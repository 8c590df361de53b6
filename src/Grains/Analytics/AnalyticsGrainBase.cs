using Orleans.Storage;
using LiveCommerce.Contracts.Events;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveCommerce.Grains.Analytics;

/// <summary>
/// An analytics grain fed by an implicit subscription to one domain-event stream (the grain's key is the stream's
/// key). Events change the aggregates in memory; a timer writes them when they changed (and deactivation writes
/// them), so analytics costs at most one storage write per grain per flush interval however many events arrive.
/// A silo crash loses what was applied since the last write, plus events still in flight on the stream.
/// </summary>
public abstract class AnalyticsGrainBase<TState>(IPersistentState<TState> state, IOptions<AnalyticsOptions> options, ILogger logger)
    : Grain, IStreamSubscriptionObserver
{
    private bool _dirty;
    // Another activation wrote the state since this one loaded it (a silo handing its grains over): this one's writes
    // can never succeed again, so it leaves and the next activation loads the other's counters.
    private bool _superseded;

    protected TState S => state.State;
    protected AnalyticsOptions Options { get; } = options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(Options.FlushInterval, Options.FlushInterval) { KeepAlive = false });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode != DeactivationReasonCode.ApplicationError && !_superseded) await FlushAsync(cancellationToken);
    }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        var handle = handleFactory.Create<DomainEvent>();
        await handle.ResumeAsync((item, _) =>
        {
            try
            {
                if (Apply(item)) _dirty = true;
            }
            catch (Exception e)
            {
                // A malformed event must not stop the stream for this key; the rebuild repairs what it missed.
                logger.LogWarning(e, "{Grain} could not apply {Event}", GetType().Name, item.GetType().Name);
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>Applies an event to the aggregates; true when something changed.</summary>
    protected abstract bool Apply(DomainEvent item);

    protected void MarkDirty() => _dirty = true;

    /// <summary>Work to do before the state write (e.g. forwarding deltas).</summary>
    protected virtual Task BeforeFlushAsync() => Task.CompletedTask;

    protected async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await BeforeFlushAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Grain} could not forward its deltas; will retry", GetType().Name);
        }
        if (!_dirty) return;
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (InconsistentStateException e)
        {
            // What this activation counted since its last write is lost, as in a crash; the rebuild restores it.
            _superseded = true;
            logger.LogWarning(e, "{Grain} was written by another activation; deactivating to load it", GetType().Name);
            DeactivateOnIdle();
        }
        catch (Exception e)
        {
            _dirty = true;
            logger.LogWarning(e, "{Grain} could not write its aggregates; will retry", GetType().Name);
        }
    }

    /// <summary>Writes now (after a rebuild, whose result must be durable before it reports success).</summary>
    protected async Task WriteNowAsync()
    {
        _dirty = false;
        await state.WriteStateAsync();
    }
}
