using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Orders;

[GenerateSerializer]
public sealed class RepurchasePlanState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string BuyerId { get; set; } = "";
    [Id(2)] public string ProductId { get; set; } = "";
    [Id(3)] public string RoomId { get; set; } = "";
    [Id(4)] public int Quantity { get; set; }
    [Id(5)] public long MaxAmountPerOrder { get; set; }
    [Id(6)] public int PeriodDays { get; set; }
    [Id(7)] public bool Active { get; set; }
    [Id(8)] public DateTimeOffset? NextRunAt { get; set; }
    [Id(9)] public DateTimeOffset GrantedAt { get; set; }
    [Id(10)] public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>Counts periods, so each period's order has its own idempotency key.</summary>
    [Id(11)] public int Sequence { get; set; }
    [Id(12)] public List<RepurchaseRun> Runs { get; set; } = [];
}

/// <summary>
/// A standing repurchase authorization. Each period it places an order (idempotency key
/// <c>repurchase:{productId}:{n}</c>, so a retried run never orders twice), checks the amount against the cap, and
/// starts the payment that the authorization lets complete without the buyer.
/// </summary>
public sealed class RepurchasePlanGrain(
    [PersistentState("repurchasePlan", StorageNames.Orders)] IPersistentState<RepurchasePlanState> persisted,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<RepurchasePlanGrain> logger) : Grain, IRepurchasePlanGrain, IRemindable
{
    private const string Tick = "repurchase";
    private const int RunsKept = 50;
    private RepurchasePlanState S => persisted.State;

    public async Task<RepurchasePlanView> Grant(GrantRepurchase command)
    {
        Ids.Require(command.BuyerId, "buyerId");
        Ids.Require(command.RoomId, "roomId");
        Ids.Require(command.ProductId, "productId");
        if ($"{command.BuyerId}:{command.ProductId}" != this.GetPrimaryKeyString())
            throw DomainException.Invalid("productId", "The plan key must be buyerId:productId.");
        if (command.Quantity is < 1 or > 99) throw DomainException.Invalid("quantity", "quantity must be between 1 and 99.");
        if (command.MaxAmountPerOrder <= 0) throw DomainException.Invalid("maxAmountPerOrder", "maxAmountPerOrder must be a positive amount in fen.");
        if (command.PeriodDays is < 1 or > 365) throw DomainException.Invalid("periodDays", "periodDays must be between 1 and 365.");
        await GrainFactory.Ref<IBuyerGrain>(command.BuyerId).Get();
        var shelf = (await GrainFactory.Ref<ILiveRoomGrain>(command.RoomId).GetView()).Shelf;
        if (shelf.All(i => i.ProductId != command.ProductId))
            throw DomainException.Conflict("shelf.not_listed", $"Product '{command.ProductId}' is not on room '{command.RoomId}'s shelf.");

        var now = clock.GetUtcNow();
        if (!S.Exists || !S.Active) S.GrantedAt = now;
        S.Exists = true;
        S.Active = true;
        S.RevokedAt = null;
        S.BuyerId = command.BuyerId;
        S.ProductId = command.ProductId;
        S.RoomId = command.RoomId;
        S.Quantity = command.Quantity;
        S.MaxAmountPerOrder = command.MaxAmountPerOrder;
        S.PeriodDays = command.PeriodDays;
        S.NextRunAt = now.AddDays(command.PeriodDays);
        await persisted.WriteStateAsync();
        await this.RegisterOrUpdateReminder(Tick, S.NextRunAt.Value - now, TimeSpan.FromDays(command.PeriodDays));
        return View();
    }

    public async Task<RepurchasePlanView> Revoke()
    {
        RequireExists();
        if (!S.Active) return View();
        S.Active = false;
        S.RevokedAt = clock.GetUtcNow();
        S.NextRunAt = null;
        await persisted.WriteStateAsync();
        var reminder = await this.GetReminder(Tick);
        if (reminder is not null) await this.UnregisterReminder(reminder);
        return View();
    }

    public Task<RepurchasePlanView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public async Task<RepurchasePlanView> RunDue()
    {
        RequireExists();
        var now = clock.GetUtcNow();
        // An operator's run is refused rather than answered with nothing done: running early would buy a period in
        // advance, and the buyer authorized one order per period.
        if (!S.Active) throw DomainException.Conflict("repurchase.revoked", "The buyer revoked this repurchase authorization.", "revoked");
        if (S.NextRunAt is { } next && now < next)
            throw DomainException.Conflict("repurchase.not_due", $"The next repeat order is due at {next:O}.", next.ToString("O"));
        await RunIfDueAsync(now);
        return View();
    }

    /// <summary>Places and pays the period's order if one is due; the reminder may fire early and then does nothing.</summary>
    private async Task RunIfDueAsync(DateTimeOffset now)
    {
        if (!S.Active || S.NextRunAt is not { } due || now < due) return;

        var key = $"repurchase:{S.ProductId}:{S.Sequence + 1}";
        var order = GrainFactory.Ref<IOrderGrain>(OrderIds.FromIdempotencyKey(S.BuyerId, key));
        RepurchaseRun run;
        try
        {
            // Names no address: a standing order ships to the buyer's default address as it is at each run.
            var placed = await order.Place(new PlaceOrder(S.BuyerId, S.RoomId, S.ProductId, S.Quantity, key, "standing-authorization", null,
                StandingAuthorization: true));
            if (placed.Order is not { } view)
            {
                run = new RepurchaseRun(now, null, "not_placed:" + placed.Outcome, 0);
            }
            else if (view.Amount > S.MaxAmountPerOrder)
            {
                // The price rose above what the buyer authorized: do not buy.
                if (view.Status == OrderStatus.PendingPayment) await order.Cancel(S.BuyerId);
                run = new RepurchaseRun(now, view.OrderId, "over_cap", view.Amount);
            }
            else
            {
                if (view.Status == OrderStatus.PendingPayment) await order.StartPayment(S.BuyerId);
                run = new RepurchaseRun(now, view.OrderId, "placed_and_paying", view.Amount);
            }
        }
        catch (DomainException e)
        {
            run = new RepurchaseRun(now, null, "failed:" + e.Code, 0);
        }

        logger.LogInformation("Repurchase plan {Plan}: {Outcome} ({OrderId})", this.GetPrimaryKeyString(), run.Outcome, run.OrderId);
        S.Sequence++;
        S.Runs.Add(run);
        if (S.Runs.Count > RunsKept) S.Runs.RemoveAt(0);
        S.NextRunAt = due.AddDays(S.PeriodDays);
        if (S.NextRunAt <= now) S.NextRunAt = now.AddDays(S.PeriodDays); // missed periods are not bought in a burst
        await persisted.WriteStateAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Tick && S.Exists) await RunIfDueAsync(clock.GetUtcNow());
    }

    private void RequireExists()
    {
        if (!S.Exists) throw DomainException.NotFound("repurchase plan", this.GetPrimaryKeyString());
    }

    private RepurchasePlanView View() =>
        new(S.BuyerId, S.ProductId, S.RoomId, S.Quantity, S.MaxAmountPerOrder, S.PeriodDays, S.Active, S.NextRunAt, S.GrantedAt, S.RevokedAt, S.Runs.ToList());
}
