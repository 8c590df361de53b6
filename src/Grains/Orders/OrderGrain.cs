using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Splits;
using LiveCommerce.Grains.Rooms;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Storage;

namespace LiveCommerce.Grains.Orders;

/// <summary>
/// One order: loads it, runs the placement hot path, and drives its state machine (<see cref="OrderLifecycle"/>).
/// Every state change is persisted together with the calls it owes other grains (the outbox) before anyone is told
/// it happened; the outbox is then delivered, and redelivered after a crash, to receivers that are all idempotent.
/// </summary>
/// <remarks>
/// Placed on the silo whose gateway took the request: the front door spreads its requests over the gateways, so
/// orders still spread over the silos, and the order's own calls skip one silo-to-silo hop.
/// </remarks>
[PreferLocalPlacement]
public sealed partial class OrderGrain(
    [FromKeyedServices(StorageNames.Orders)] IGrainStorage orderStorage,
    IPaymentGateway gateway,
    IRoomStockLedger stockLedger,
    IOptions<OrderPolicy> orderPolicy,
    IOptions<AfterSalePolicy> afterSalePolicy,
    BusinessCalendar calendar,
    Risk.ScopeCounts scopeCounts,
    Platform.Webhooks.WebhookEventLog webhookLog,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain, IIncomingGrainCallFilter, IRemindable
{
    private readonly OrderPolicy _policy = orderPolicy.Value;
    private IGrainTimer? _outboxRetry;
    private LazyGrainState<OrderState>? _persisted;
    private OrderLifecycle? _lifecycle;
    private Task? _loading;

    /// <summary>The order's own record (state name "order"), read by <see cref="EnsureLoadedAsync"/>.</summary>
    private LazyGrainState<OrderState> persisted => _persisted ??= new(orderStorage, "order", this.GetGrainId());
    private OrderState S => persisted.State;
    // Rebuilt if a state read replaced the state object (the lifecycle works on the object it was given).
    private OrderLifecycle Life => _lifecycle is { } life && ReferenceEquals(life.State, S) ? life : _lifecycle = new OrderLifecycle(OrderId, S, _policy);
    private string OrderId => this.GetPrimaryKeyString();

    /// <summary>
    /// Every call finds the order loaded (<see cref="EnsureLoadedAsync"/>). A call that fails for any reason but a
    /// refusal (refusals are raised before anything changes) may have changed the state in memory and not persisted
    /// it, for example when a write or a call to another grain failed midway. The activation is then dropped, so the
    /// next call works from what is durable, never from a half-applied change.
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await EnsureLoadedAsync();
            await context.Invoke();
        }
        catch (Exception e) when (e is not DomainException)
        {
            logger.LogWarning(e, "Order {OrderId}: {Method} failed; the activation is dropped to reload durable state", OrderId, context.ImplementationMethod.Name);
            DeactivateOnIdle();
            throw;
        }
    }

    // ---- placement --------------------------------------------------------------------------------

    public async Task<PlaceOrderResult> Place(PlaceOrder command)
    {
        Ids.Require(command.BuyerId, "buyerId");
        Ids.Require(command.RoomId, "roomId");
        Ids.Require(command.ProductId, "productId");
        if (command.Quantity <= 0) throw DomainException.Invalid("quantity", "quantity must be at least 1.");
        if (command.Quantity > _policy.MaxQuantityPerOrder)
            throw DomainException.Invalid("quantity", $"quantity must be at most {_policy.MaxQuantityPerOrder}.");

        if (S.Exists)
        {
            if (S.BuyerId == command.BuyerId && S.RoomId == command.RoomId && S.ProductId == command.ProductId && S.Quantity == command.Quantity)
                return new PlaceOrderResult(PlaceOutcome.Replayed, View(), null, []);
            throw new DomainException(ErrorKind.Conflict, "idempotency.key_reused",
                "This Idempotency-Key was already used for a different order.");
        }

        var now = clock.GetUtcNow();
        var risk = await AssessPlacementAsync(command, now);
        var address = await ShippingAddressAsync(command, risk.Buyer, risk.Quote);
        if (risk.Assessment.Verdict == RiskVerdict.Reject)
        {
            // Refused before any stock is touched; nothing is stored for an order that never existed.
            await ReportAsync(risk.Assessment, "placement", null, command.RoomId, risk.Quote.MerchantId, command.ProductId, command.BuyerId, command.ClientIp, now);
            return new PlaceOrderResult(PlaceOutcome.RiskRejected, null, "The order was rejected by risk control.",
                risk.Assessment.Hits.Select(h => $"{h.RuleId}: {h.Reason}").ToList());
        }
        var buyer = risk.Buyer.Buyer;
        var deadline = now + _policy.PaymentTimeout;
        var placement = Decision(risk.Assessment, "placement", now);
        var seed = new OrderSeed(buyer.City, command.ClientIp, command.DeviceId, command.IdempotencyKey, risk.Quote.ReferencePrice,
            buyer.RegisteredAt, buyer.PaidOrderCount, placement, ShippingAddress: address);
        // The room's stock line is the order's durable record at placement: one coalesced room write per batch of
        // orders, instead of an order write and a buyer write per order. The order's own state is written at its
        // first change after this (payment, cancellation, expiry); until then it can be rebuilt from the line.
        var reserved = await GrainFactory.Ref<ILiveRoomGrain>(command.RoomId)
            .Reserve(new ReserveRequest(OrderId, command.BuyerId, command.ProductId, command.Quantity, deadline, command.StandingAuthorization, now, seed));
        if (reserved.Outcome != ReserveOutcome.Reserved) return Refused(reserved);

        var shelf = seed.WithShelf(reserved.MerchantId, reserved.StreamerId, reserved.RoomCity, reserved.Category, reserved.ListPrice, reserved.SplitPlan);
        Adopt(command.RoomId, new StockLine(OrderId, command.ProductId, command.BuyerId, command.Quantity, reserved.UnitPrice, deadline,
            StockLineStatus.Reserved, 0, now), shelf);
        _ = PublishAsync(OrderEventKind.Placed);
        await ReportAsync(risk.Assessment, "placement", OrderId, S.RoomId, S.MerchantId, S.ProductId, S.BuyerId, S.ClientIp, now);
        return new PlaceOrderResult(PlaceOutcome.Placed, View(), null, risk.Assessment.Hits.Select(h => $"{h.RuleId}: {h.Reason}").ToList());
    }

    /// <summary>
    /// The address the order ships to: the one the buyer named, else the buyer's default (a copy the buyer grain keeps,
    /// so this costs no call); none is needed for virtual goods, and an unknown shelf item is the room's to refuse.
    /// </summary>
    private async Task<ShippingAddress?> ShippingAddressAsync(PlaceOrder command, BuyerAttempt buyer, RoomQuote quote)
    {
        if (command.ShippingAddress is { } named) return named;
        var address = buyer.DefaultAddressKnown ? buyer.DefaultAddress
            : await GrainFactory.Ref<IAddressBookGrain>(command.BuyerId).ShareDefault();
        if (address is not null || !quote.OnShelf || AddressRules.IsVirtualCategory(quote.Category)) return address;
        throw DomainException.Invalid("addressId", "This product ships: name an addressId or set a default address first.");
    }

    /// <summary>
    /// Loads the order once per activation. Every order that ever existed has a stock line (placement writes it
    /// before anything else), so the line lookup comes first: no line means a new order and no state to read,
    /// which saves the state read on the placement path. With a line, the order's own record is read; if the
    /// order never wrote one, it is rebuilt from the line and the seed. Read-only calls may interleave, hence
    /// the shared task; a failed load is retried by the next call.
    /// </summary>
    private Task EnsureLoadedAsync()
    {
        if (_loading is null || _loading.IsFaulted || _loading.IsCanceled) _loading = LoadAsync();
        return _loading;
    }

    private async Task LoadAsync()
    {
        var found = await stockLedger.FindByOrderAsync(OrderId);
        if (found is null) return;
        await persisted.ReadStateAsync();
        Life.UpgradeLegacyOutbox();
        if (S.Outbox.Count > 0) ScheduleOutboxRetry(TimeSpan.FromMilliseconds(100));
        if (S.Exists || found.Line.Seed is not { } json) return;
        var line = found.Line;
        Adopt(found.RoomId, line, OrderSeedCodec.Read(json));
        // A line released without the order ever writing its state: the room gave the stock back on its own sweep
        // (an expiry the order agreed to is written by the order first), so the order is an expired one.
        if (line.Status == StockLineStatus.Released) Life.AdoptReleasedLine(line.ExpiresAt);
    }

    /// <summary>The state of a just-placed order: its stock line and its completed seed.</summary>
    private void Adopt(string roomId, StockLine line, OrderSeed seed)
    {
        S.Exists = true;
        S.BuyerId = line.BuyerId;
        S.BuyerCity = seed.BuyerCity;
        S.RoomId = roomId;
        S.RoomCity = seed.RoomCity;
        S.StreamerId = seed.StreamerId ?? "";
        S.MerchantId = seed.MerchantId ?? "";
        S.ProductId = line.ProductId;
        S.Category = seed.Category;
        S.Quantity = line.Quantity;
        S.UnitPrice = line.UnitPrice;
        S.ListPrice = seed.ListPrice;
        S.Amount = checked(line.UnitPrice * line.Quantity);
        S.Plan = seed.Plan;
        S.IdempotencyKey = seed.IdempotencyKey;
        S.ClientIp = seed.ClientIp;
        S.DeviceId = seed.DeviceId;
        S.Status = OrderStatus.PendingPayment;
        S.PlacedAt = line.PlacedAt;
        S.PaymentDeadline = line.ExpiresAt;
        S.ReferencePrice = seed.ReferencePrice;
        S.BuyerRegisteredAt = seed.BuyerRegisteredAt;
        S.BuyerPreviousOrders = seed.BuyerPreviousOrders;
        S.ShippingAddress = seed.ShippingAddress;
        S.RiskDecisions.Add(seed.Placement);
    }

    public async Task<OrderView> Get()
    {
        Life.RequireExists();
        return View();
    }

    // ---- payment ----------------------------------------------------------------------------------

    public async Task<PaymentStarted> StartPayment(string buyerId)
    {
        Life.RequireExists();
        Life.RequireBuyer(buyerId);
        if (Life.ExpireIfDue(clock.GetUtcNow(), releaseStock: true)) await CommitAsync(OrderEventKind.Cancelled);
        Life.RequirePayable();

        var open = S.Payments.LastOrDefault(p => p.Status == AttemptStatus.Open);
        if (open is null)
        {
            // Not written here: the attempt's reference follows from the durable state (the attempts recorded so
            // far; an open one is always the last and is recorded by its result), so an order that forgets this
            // attempt opens the same payment again, and its callback is this order's money either way (below).
            var created = await gateway.CreatePayment($"{OrderId}-{S.Payments.Count + 1}", OrderId, S.Amount);
            open = new PaymentAttempt { PaymentId = created.PaymentId, CreatedAt = created.CreatedAt, Status = AttemptStatus.Open };
            S.Payments.Add(open);
        }
        return new PaymentStarted(OrderId, open.PaymentId, S.Amount, gateway.Name, open.CreatedAt);
    }

    public async Task<PaymentApplied> ApplyPaymentResult(PaymentResult result)
    {
        _policy.RequirePaymentAmount(result.Amount, result.Succeeded);
        if (!S.Exists || result.OrderId != OrderId)
        {
            logger.LogWarning("Payment {PaymentId} names order {OrderId}, which this grain ({Self}) does not hold", result.PaymentId, result.OrderId, OrderId);
            return new PaymentApplied(PaymentApplyOutcome.UnknownPayment, S.Exists ? View() : null);
        }

        var attempt = S.Payments.FirstOrDefault(p => p.PaymentId == result.PaymentId);
        if (attempt is { Status: not AttemptStatus.Open })
        {
            // Applied before, from the provider's confirmed record: a repeat must say the same thing.
            if (PaymentMatching.RepeatsApplied(result, attempt.Status == AttemptStatus.Succeeded, attempt.Captured))
                return new PaymentApplied(PaymentApplyOutcome.AlreadyApplied, View());
            return Refused(result, attempt.Status == AttemptStatus.Succeeded && result.Succeeded ? PaymentApplyOutcome.AmountMismatch : PaymentApplyOutcome.NotConfirmed);
        }

        // The notification is not the truth: the provider's record is. Only this order's own attempt (opened by
        // StartPayment, possibly not recorded here yet) for the amount due moves money.
        var confirmed = await gateway.ConfirmPayment(result.PaymentId);
        var attemptsRecorded = attempt is null ? S.Payments.Count : S.Payments.Count - 1;
        var match = PaymentMatching.Check(OrderId, S.Amount, attemptsRecorded, result, confirmed);
        switch (match)
        {
            case PaymentMatch.UnknownAttempt: return Refused(result, PaymentApplyOutcome.UnknownPayment);
            case PaymentMatch.NotConfirmed: return Refused(result, PaymentApplyOutcome.NotConfirmed);
            case PaymentMatch.AmountMismatch: return Refused(result, PaymentApplyOutcome.AmountMismatch);
        }
        var captured = confirmed!.AmountCaptured;

        // Risk is asked before anything changes: if that call fails, the callback fails with nothing half-applied,
        // and the gateway's redelivery (or reconciliation) applies the payment later.
        var paysThisOrder = match == PaymentMatch.Matches && result.Succeeded && S.Status == OrderStatus.PendingPayment && S.PaidPaymentId is null;
        var now = clock.GetUtcNow();
        var risk = paysThisOrder ? await AssessPaymentAsync(now, captured) : null;

        if (attempt is null)
        {
            // Opened at the gateway but not recorded here (a crash between the two): its reference proves it is
            // this order's money.
            attempt = new PaymentAttempt { PaymentId = result.PaymentId, CreatedAt = confirmed.CreatedAt, Status = AttemptStatus.Open };
            S.Payments.Add(attempt);
        }
        if (!result.Succeeded)
        {
            attempt.Status = AttemptStatus.Failed;
            await persisted.WriteStateAsync();
            return new PaymentApplied(PaymentApplyOutcome.Failed, View());
        }

        attempt.Status = AttemptStatus.Succeeded;
        attempt.Captured = captured;
        if (risk is not null)
        {
            await ApplyPaidAsync(attempt, risk, now);
            return new PaymentApplied(PaymentApplyOutcome.Applied, View());
        }

        // Money this order does not keep: it was cancelled (or expired) first, another payment already paid it, or
        // the provider captured another amount than asked. The payment is returned in full.
        var outcome = match == PaymentMatch.CapturedOtherAmount ? PaymentApplyOutcome.RefundedAmountMismatch
            : S.Status == OrderStatus.Cancelled ? PaymentApplyOutcome.RefundedCancelledOrder : PaymentApplyOutcome.RefundedDuplicate;
        Life.RefundUnkeptPayment(attempt, captured);
        await CommitAsync(null);
        logger.LogInformation("Order {OrderId}: payment {PaymentId} of {Captured} arrived while {Status} ({Outcome}); refunded in full",
            OrderId, attempt.PaymentId, captured, S.Status, outcome);
        return new PaymentApplied(outcome, View());
    }

    /// <summary>A result the order does not believe: nothing changes; the caller records it for reconciliation.</summary>
    private PaymentApplied Refused(PaymentResult result, PaymentApplyOutcome outcome)
    {
        logger.LogWarning("Order {OrderId}: {Source} result for payment {PaymentId} ({Amount}, succeeded {Succeeded}) refused: {Outcome}",
            OrderId, result.Source, result.PaymentId, result.Amount, result.Succeeded, outcome);
        return new PaymentApplied(outcome, View());
    }

    private async Task ApplyPaidAsync(PaymentAttempt attempt, RiskAssessment risk, DateTimeOffset now)
    {
        var published = Life.Pay(attempt, Decision(risk, "payment", now), now);
        await CommitAsync(published);
        await ReportAsync(risk, "payment", OrderId, S.RoomId, S.MerchantId, S.ProductId, S.BuyerId, S.ClientIp, now);
    }

    // ---- lifecycle (the rules are OrderLifecycle's; the grain persists, delivers and publishes) -------------

    public async Task<OrderView> Cancel(string buyerId)
    {
        if (Life.Cancel(buyerId, clock.GetUtcNow())) await CommitAsync(OrderEventKind.Cancelled);
        return View();
    }

    public async Task<bool> TryExpire()
    {
        if (!S.Exists) return true; // a reservation whose order was never recorded: nothing will pay for it
        if (S.Status == OrderStatus.Cancelled) return true;
        // The room releases the units itself once this returns.
        if (!Life.ExpireIfDue(clock.GetUtcNow(), releaseStock: false)) return false;
        await CommitAsync(OrderEventKind.Cancelled);
        return true;
    }

    public async Task<OrderView> Ship(string merchantId, string? trackingNumber, string? carrier = null)
    {
        if (Life.Ship(merchantId, trackingNumber, carrier, clock.GetUtcNow())) await CommitAsync(OrderEventKind.Shipped);
        return View();
    }

    public async Task<OrderView> MarkDelivered()
    {
        if (Life.MarkDelivered(clock.GetUtcNow())) await CommitAsync(OrderEventKind.Delivered);
        return View();
    }

    public async Task<OrderView> ApplyLogisticsEvent(LogisticsEvent logisticsEvent)
    {
        // Another parcel than the order's own, while a case is open: the buyer's return, which the case tracks.
        if (S.OpenCaseId is { } caseId && !Life.IsOwnParcel(logisticsEvent))
        {
            await GrainFactory.Ref<IAfterSaleCaseGrain>(caseId).ApplyReturnLogistics(logisticsEvent);
            return View();
        }
        var (changed, published) = Life.ApplyLogistics(logisticsEvent, clock.GetUtcNow());
        if (changed) await CommitAsync(published);
        return View();
    }

    public async Task<OrderView> ConfirmReceipt(string buyerId)
    {
        if (Life.ConfirmReceipt(buyerId, clock.GetUtcNow())) await CommitAsync(OrderEventKind.Confirmed);
        return View();
    }

    public async Task<OrderView> AutoConfirmIfDue()
    {
        if (Life.AutoConfirmIfDue(clock.GetUtcNow())) await CommitAsync(OrderEventKind.Confirmed);
        return View();
    }

    public async Task MarkShareSettled(string accountId, string batchId, DateTimeOffset settledAt)
    {
        var (changed, becameSettled) = Life.ShareSettled(accountId, batchId, settledAt);
        if (!changed) return;
        await persisted.WriteStateAsync();
        if (becameSettled) await PublishAsync(OrderEventKind.Settled);
    }

    // ---- refunds, review and after-sale -------------------------------------------------------

    public async Task<OrderView> Refund(RefundRequest request)
    {
        if (Life.Refund(request, clock.GetUtcNow())) await CommitAsync(OrderEventKind.Refunded);
        return View();
    }

    public async Task<OrderView> ResolveReview(ReviewResolution resolution)
    {
        var published = Life.ResolveReview(resolution, clock.GetUtcNow());
        await CommitAsync(published);
        return View();
    }

    public async Task<AfterSaleCaseView> OpenAfterSale(AfterSaleRequest request)
    {
        var (opening, isNew) = Life.OpenAfterSale(request, afterSalePolicy.Value, clock.GetUtcNow());
        if (isNew) await CommitAsync(null); // the outbox opens the case (and reopens it after a crash)
        return await GrainFactory.Ref<IAfterSaleCaseGrain>(opening.CaseId).Open(opening);
    }

    public async Task<AfterSaleSettled> SettleAfterSale(string caseId, long amount, string reason)
    {
        var (refunded, changed) = Life.SettleAfterSale(caseId, amount, reason, clock.GetUtcNow());
        if (changed) await CommitAsync(refunded > 0 ? OrderEventKind.Refunded : null);
        return new AfterSaleSettled(refunded, S.Status);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static PlaceOrderResult Refused(ReserveResult reserved)
    {
        var (outcome, message) = reserved.Outcome switch
        {
            ReserveOutcome.SoldOut => (PlaceOutcome.SoldOut, $"Sold out: {reserved.StockLeft} unit(s) left."),
            ReserveOutcome.RoomNotLive => (PlaceOutcome.RoomNotLive, "The room is not live."),
            ReserveOutcome.NotOnShelf => (PlaceOutcome.NotOnShelf, "The product is not on this room's shelf."),
            ReserveOutcome.OverPerOrderLimit => (PlaceOutcome.OverPerOrderLimit, "The quantity is above this product's per-order limit."),
            ReserveOutcome.OfferWithdrawn => (PlaceOutcome.OfferWithdrawn, "The merchant no longer offers this product in this room."),
            ReserveOutcome.OpenOrderLimit => (PlaceOutcome.OpenOrderLimit, reserved.Detail ?? "You hold the most unpaid orders allowed; pay or cancel one first."),
            _ => throw new ArgumentOutOfRangeException(nameof(reserved), reserved.Outcome, null),
        };
        return new PlaceOrderResult(outcome, null, message, []);
    }

    private OrderView View() => Life.View();
}
