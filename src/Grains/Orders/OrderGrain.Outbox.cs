using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Contracts.Risk;

namespace LiveCommerce.Grains.Orders;

public sealed partial class OrderGrain
{
    private bool _delivering;

    /// <summary>
    /// Persists the state and its outbox, delivers the outbox, then publishes the event (if any). The event goes out
    /// after the caller has its answer: it is at most once anyway, and the caller should not wait for analytics.
    /// </summary>
    private async Task CommitAsync(OrderEventKind? kind)
    {
        await persisted.WriteStateAsync();
        await DeliverOutboxAsync();
        if (kind is { } k) _ = PublishAsync(k);
    }

    /// <summary>
    /// Delivers owed calls: channels in parallel, each channel in order, stopping a channel at its first failure.
    /// Delivered items leave the outbox in memory; the next state write records that (redelivery after a crash
    /// is harmless because every receiver is idempotent).
    /// </summary>
    private async Task DeliverOutboxAsync()
    {
        if (_delivering || S.Outbox.Count == 0) return;
        _delivering = true;
        try
        {
            var channels = S.Outbox.GroupBy(i => i.Channel).Select(g => g.OrderBy(i => i.Seq).ToList()).ToList();
            var delivered = await Task.WhenAll(channels.Select(DeliverChannelAsync));
            var done = delivered.SelectMany(d => d).ToHashSet();
            S.Outbox.RemoveAll(i => done.Contains(i.Seq));
        }
        finally
        {
            _delivering = false;
        }
        if (S.Outbox.Count > 0)
        {
            ScheduleOutboxRetry(TimeSpan.FromSeconds(2));
            _ = EnsureOutboxReminderAsync();
        }
        else if (_outboxReminder) _ = ClearOutboxReminderAsync();
    }

    private const string OutboxReminderName = "outbox";
    private bool _outboxReminder;

    /// <summary>
    /// A delivery failed: besides the 2 s timer (gone if this silo dies), a reminder reactivates the order wherever it
    /// lands next until the outbox is empty. Only on failure, so the hot path never writes a reminder.
    /// </summary>
    private async Task EnsureOutboxReminderAsync()
    {
        if (_outboxReminder) return;
        _outboxReminder = true;
        try
        {
            await this.RegisterOrUpdateReminder(OutboxReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        catch (Exception e)
        {
            _outboxReminder = false;
            logger.LogWarning(e, "Order {OrderId}: registering the outbox reminder failed; the retry timer still runs", OrderId);
        }
    }

    private async Task ClearOutboxReminderAsync()
    {
        _outboxReminder = false;
        try
        {
            if (await this.GetReminder(OutboxReminderName) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            _outboxReminder = true; // try again after the next delivery
            logger.LogWarning(e, "Order {OrderId}: removing the outbox reminder failed; its next tick removes it", OrderId);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != OutboxReminderName) return;
        await EnsureLoadedAsync();
        // Known to exist now (this tick came from it), so an empty outbox removes it.
        _outboxReminder = true;
        var before = S.Outbox.Count;
        await DeliverOutboxAsync();
        if (S.Outbox.Count != before) await persisted.WriteStateAsync();
        if (S.Outbox.Count == 0 && _outboxReminder) await ClearOutboxReminderAsync();
    }

    private async Task<List<int>> DeliverChannelAsync(List<OrderMessage> items)
    {
        var done = new List<int>();
        foreach (var item in items)
        {
            try
            {
                await DeliverAsync(item);
                done.Add(item.Seq);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Order {OrderId}: delivering {Kind} on {Channel} failed; will retry", OrderId, item.GetType().Name, item.Channel);
                break;
            }
        }
        return done;
    }

    private Task DeliverAsync(OrderMessage message) => message switch
    {
        PostToAccount m => GrainFactory.Ref<ISettlementAccountGrain>(m.AccountId).Apply(m.Posting),
        CommitRoomSale m => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).Commit(OrderId, m.Amount),
        ReleaseRoomStock => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).Release(OrderId),
        ReturnSoldStock m => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).ReturnSold(OrderId, S.ProductId, S.Quantity, m.Amount),
        RecordBuyerPurchase m => GrainFactory.Ref<IBuyerGrain>(S.BuyerId).RecordPurchase(OrderId, m.Amount, m.At),
        RefundAtGateway m => gateway.Refund(m.PaymentId, m.RefundId, m.Amount),
        ScheduleAutoConfirm m => GrainFactory.Ref<IAutoConfirmBucketGrain>(AutoConfirmBuckets.KeyFor(m.At)).Schedule(OrderId, m.At),
        AddToReviewQueue m => GrainFactory.Ref<IRiskReviewQueueGrain>(RiskKey).Add(new ReviewItem(OrderId, S.MerchantId, S.BuyerId, m.Amount,
            S.RiskDecisions.Where(d => d.Verdict == RiskVerdict.Review).SelectMany(d => d.Reasons).ToList(), m.At, null, null, null)),
        MarkReviewDecided m => GrainFactory.Ref<IRiskReviewQueueGrain>(RiskKey).MarkDecided(OrderId, m.Decision, m.AdminId, m.At),
        CountPaidForRisk m => Task.WhenAll(
            scopeCounts.RecordPaid("room:" + S.RoomId, OrderId, m.At),
            scopeCounts.RecordPaid("merchant:" + S.MerchantId, OrderId, m.At)),
        CountRefundedForRisk m => Task.WhenAll(
            scopeCounts.RecordRefunded("room:" + S.RoomId, OrderId, m.At),
            scopeCounts.RecordRefunded("merchant:" + S.MerchantId, OrderId, m.At)),
        OpenAfterSaleCase m => GrainFactory.Ref<IAfterSaleCaseGrain>(m.Opening.CaseId).Open(m.Opening),
        RecordWebhookEvent m => webhookLog.AppendAsync(m.Event),
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, null),
    };

    private void ScheduleOutboxRetry(TimeSpan delay)
    {
        if (_outboxRetry is not null) return;
        _outboxRetry = this.RegisterGrainTimer(async () =>
        {
            _outboxRetry?.Dispose();
            _outboxRetry = null;
            var before = S.Outbox.Count;
            await DeliverOutboxAsync();
            if (S.Outbox.Count != before) await persisted.WriteStateAsync();
        }, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private Task PublishAsync(OrderEventKind kind)
    {
        var last = kind == OrderEventKind.Refunded ? S.Refunds.LastOrDefault() : null;
        // A refund event carries the refund's own time: the merchant order list keys refunds by time and amount, and a
        // row rebuilt from the order's refunds must have the keys the events gave it.
        var e = new OrderEvent(kind, OrderId, S.BuyerId, S.BuyerCity, S.RoomId, S.RoomCity, S.StreamerId, S.MerchantId, S.ProductId,
            S.Category, S.Quantity, S.UnitPrice, S.ListPrice, kind == OrderEventKind.Paid ? S.PaidAmount : S.Amount, last?.Amount ?? 0,
            last?.At ?? clock.GetUtcNow(), S.PlacedAt, S.DeliveredAt is not null);
        // The address goes only to the merchant's stream (its order list shows it to the merchant): rooms, streamers
        // and the platform's analytics have no use for a buyer's address, and every copy is serialized on the hot path.
        return Task.WhenAll(
            this.PublishAsync(logger, e with { ShippingAddress = S.ShippingAddress }, (EventStreams.Merchants, S.MerchantId)),
            this.PublishAsync(logger, e,
                (EventStreams.Rooms, S.RoomId),
                (EventStreams.Streamers, S.StreamerId),
                (EventStreams.Platform, EventStreams.PlatformShard(S.BuyerId))));
    }
}
