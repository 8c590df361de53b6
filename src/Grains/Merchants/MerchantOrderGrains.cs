using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using Orleans.Concurrency;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveCommerce.Grains.Merchants;

/// <summary>
/// Feeds the merchant order list: reads the merchant's event stream (implicit subscription, key = merchant id) and
/// folds order and after-sale events into <see cref="IMerchantOrderStore"/>. Reentrant, so events that arrive while a
/// store write is in flight go together in the next write: a flash sale costs one round trip per batch, not per order.
/// An event is acknowledged to the stream once stored; a failed write keeps its events for a retry.
/// </summary>
[ImplicitStreamSubscription(EventStreams.Merchants)]
[Reentrant]
public sealed class MerchantOrderFeedGrain(IMerchantOrderStore store, ILogger<MerchantOrderFeedGrain> logger)
    : Grain, IMerchantOrderFeedGrain, IStreamSubscriptionObserver
{
    /// <summary>Events held while the store cannot be reached; beyond this the oldest are dropped (the stream is at most once anyway).</summary>
    public const int MaxPending = 10_000;

    private readonly List<DomainEvent> _pending = [];
    private Common.CoalescingWriter? _writer;
    private IGrainTimer? _retry;

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        var handle = handleFactory.Create<DomainEvent>();
        await handle.ResumeAsync((item, _) => Accept(item));
    }

    public Task Accept(DomainEvent item)
    {
        if (MerchantOrderProjection.KeyOf(item) is null) return Task.CompletedTask;
        _pending.Add(item);
        if (_pending.Count > MaxPending)
        {
            logger.LogWarning("Merchant {MerchantId}: order list feed dropped its oldest event ({Max} pending)", this.GetPrimaryKeyString(), MaxPending);
            _pending.RemoveAt(0);
        }
        _writer ??= new Common.CoalescingWriter(WriteAsync);
        return Swallow(_writer.WriteAsync());
    }

    private async Task WriteAsync()
    {
        var batch = _pending.ToList();
        _pending.Clear();
        try
        {
            await store.ApplyAsync(batch);
        }
        catch
        {
            // Put them back in front of what arrived meanwhile; the timer retries.
            _pending.InsertRange(0, batch);
            _retry ??= this.RegisterGrainTimer(RetryAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)) { KeepAlive = true });
            throw;
        }
    }

    private async Task RetryAsync()
    {
        if (_pending.Count == 0)
        {
            _retry?.Dispose();
            _retry = null;
            return;
        }
        await Swallow(_writer!.WriteAsync());
    }

    // A failed write must not fault the stream subscription: the events stay pending and are retried.
    private async Task Swallow(Task write)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Merchant {MerchantId}: order list feed could not store {Count} events; will retry", this.GetPrimaryKeyString(), _pending.Count);
        }
    }
}

[StatelessWorker]
public sealed class MerchantOrdersGrain(IMerchantOrderStore store) : Grain, IMerchantOrdersGrain
{
    public Task<MerchantOrderPage> List(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit) =>
        ListAsync(store, merchantId, filter, after, limit);

    public Task<IReadOnlyList<StatusCount>> Count(string merchantId, MerchantOrderFilter filter) => store.CountAsync(merchantId, filter);

    public Task<MerchantOrderRow?> Find(string merchantId, string orderId) => store.FindAsync(merchantId, orderId);

    /// <summary>One row more than asked tells whether a next page exists, so the last page hands out no cursor.</summary>
    public static async Task<MerchantOrderPage> ListAsync(IMerchantOrderStore store, string merchantId, MerchantOrderFilter filter,
        OrderListPosition? after, int limit)
    {
        if (limit is < 1 or > OrderListRules.MaxExportRows) throw new ArgumentOutOfRangeException(nameof(limit));
        var rows = await store.ListAsync(merchantId, filter, after, limit + 1);
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new OrderListPosition(page[^1].PlacedAt, page[^1].OrderId) : null;
        return new MerchantOrderPage(page, next);
    }
}
