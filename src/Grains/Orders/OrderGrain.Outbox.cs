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

    private void Enqueue(OutboxKind kind, string channel, long amount = 0, string? paymentId = null, string? refundId = null, DateTimeOffset? at = null, string? note = null) =>
        S.Outbox.Add(new OutboxItem { Id = ++S.OutboxSequence, Kind = kind, Channel = channel, Amount = amount, PaymentId = paymentId, RefundId = refundId, At = at, Note = note });

    private void EnqueuePosting(SplitLine line, PostingKind kind, long amount, DateTimeOffset at)
    {
        line.Sequence++;
        var posting = new AccountPosting($"{OrderId}:{line.AccountId}:{line.Sequence}", OrderId, kind, amount, at, line.Sequence, line.BasisPoints);
        S.Outbox.Add(new OutboxItem { Id = ++S.OutboxSequence, Kind = OutboxKind.AccountPosting, Channel = "account:" + line.AccountId, AccountId = line.AccountId, Posting = posting, Amount = amount });
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
            var channels = S.Outbox.GroupBy(i => i.Channel).Select(g => g.OrderBy(i => i.Id).ToList()).ToList();
            var delivered = await Task.WhenAll(channels.Select(DeliverChannelAsync));
            var done = delivered.SelectMany(d => d).ToHashSet();
            S.Outbox.RemoveAll(i => done.Contains(i.Id));
        }
        finally
        {
            _delivering = false;
        }
        if (S.Outbox.Count > 0) ScheduleOutboxRetry(TimeSpan.FromSeconds(2));
    }

    private async Task<List<int>> DeliverChannelAsync(List<OutboxItem> items)
    {
        var done = new List<int>();
        foreach (var item in items)
        {
            try
            {
                await DeliverAsync(item);
                done.Add(item.Id);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Order {OrderId}: delivering {Kind} on {Channel} failed; will retry", OrderId, item.Kind, item.Channel);
                break;
            }
        }
        return done;
    }

    private Task DeliverAsync(OutboxItem item) => item.Kind switch
    {
        OutboxKind.AccountPosting => GrainFactory.Ref<ISettlementAccountGrain>(item.AccountId!).Apply(item.Posting!),
        OutboxKind.RoomCommit => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).Commit(OrderId, item.Amount),
        OutboxKind.RoomRelease => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).Release(OrderId),
        OutboxKind.RoomReturnSold => GrainFactory.Ref<ILiveRoomGrain>(S.RoomId).ReturnSold(OrderId, S.ProductId, S.Quantity, item.Amount),
        OutboxKind.BuyerRecordPurchase => GrainFactory.Ref<IBuyerGrain>(S.BuyerId).RecordPurchase(OrderId, item.Amount, item.At!.Value),
        OutboxKind.GatewayRefund => gateway.Refund(item.PaymentId!, item.RefundId!, item.Amount),
        OutboxKind.ScheduleAutoConfirm => GrainFactory.Ref<IAutoConfirmBucketGrain>(AutoConfirmBuckets.KeyFor(item.At!.Value)).Schedule(OrderId, item.At!.Value),
        OutboxKind.ReviewQueueAdd => GrainFactory.Ref<IRiskReviewQueueGrain>(RiskKey).Add(new ReviewItem(OrderId, S.MerchantId, S.BuyerId, item.Amount,
            S.RiskDecisions.Where(d => d.Verdict == RiskVerdict.Review).SelectMany(d => d.Reasons).ToList(), item.At!.Value, null, null, null)),
        OutboxKind.ReviewQueueDecided => GrainFactory.Ref<IRiskReviewQueueGrain>(RiskKey).MarkDecided(OrderId,
            Enum.Parse<ReviewDecision>(item.Note!.Split('|')[0]), item.Note.Split('|')[1], item.At!.Value),
        OutboxKind.RiskCountPaid => Task.WhenAll(
            scopeCounts.RecordPaid("room:" + S.RoomId, OrderId, item.At!.Value),
            scopeCounts.RecordPaid("merchant:" + S.MerchantId, OrderId, item.At!.Value)),
        OutboxKind.RiskCountRefunded => Task.WhenAll(
            scopeCounts.RecordRefunded("room:" + S.RoomId, OrderId, item.At!.Value),
            scopeCounts.RecordRefunded("merchant:" + S.MerchantId, OrderId, item.At!.Value)),
        _ => throw new ArgumentOutOfRangeException(nameof(item), item.Kind, null),
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
        var refund = kind == OrderEventKind.Refunded ? S.Refunds.LastOrDefault()?.Amount ?? 0 : 0;
        var e = new OrderEvent(kind, OrderId, S.BuyerId, S.BuyerCity, S.RoomId, S.RoomCity, S.StreamerId, S.MerchantId, S.ProductId,
            S.Category, S.Quantity, S.UnitPrice, S.ListPrice, kind == OrderEventKind.Paid ? S.PaidAmount : S.Amount, refund,
            clock.GetUtcNow(), S.PlacedAt, S.DeliveredAt is not null, S.ShippingAddress);
        return this.PublishAsync(logger, e,
            (EventStreams.Rooms, S.RoomId),
            (EventStreams.Streamers, S.StreamerId),
            (EventStreams.Merchants, S.MerchantId),
            (EventStreams.Platform, EventStreams.PlatformShard(S.BuyerId)));
    }
}
