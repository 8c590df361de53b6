namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// Password-free repurchase: a buyer's standing authorization to buy a product again every period, up to an
/// amount cap per order, placed and paid by the system without a new confirmation until the buyer revokes it.
/// Keyed <c>{buyerId}:{productId}</c>.
/// </summary>
public interface IRepurchasePlanGrain : IGrainWithStringKey
{
    /// <summary>Grants or changes the authorization; the first repeat order is due one period from now.</summary>
    Task<RepurchasePlanView> Grant(GrantRepurchase command);

    Task<RepurchasePlanView> Revoke();

    [Orleans.Concurrency.ReadOnly]
    Task<RepurchasePlanView> Get();

    /// <summary>
    /// Places and pays the repeat order that is due now (operators; the plan's reminder runs it on its own). Refused
    /// with a conflict when the plan is revoked (<c>repurchase.revoked</c>) or not due yet (<c>repurchase.not_due</c>,
    /// current state: the time it is due): an early run would buy a period in advance.
    /// </summary>
    Task<RepurchasePlanView> RunDue();
}

[GenerateSerializer, Immutable]
public sealed record GrantRepurchase(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string RoomId,
    [property: Id(2)] string ProductId,
    [property: Id(3)] int Quantity,
    [property: Id(4)] long MaxAmountPerOrder,
    [property: Id(5)] int PeriodDays);

[GenerateSerializer, Immutable]
public sealed record RepurchaseRun(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string? OrderId,
    [property: Id(2)] string Outcome,
    [property: Id(3)] long Amount);

[GenerateSerializer, Immutable]
public sealed record RepurchasePlanView(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string ProductId,
    [property: Id(2)] string RoomId,
    [property: Id(3)] int Quantity,
    [property: Id(4)] long MaxAmountPerOrder,
    [property: Id(5)] int PeriodDays,
    [property: Id(6)] bool Active,
    [property: Id(7)] DateTimeOffset? NextRunAt,
    [property: Id(8)] DateTimeOffset GrantedAt,
    [property: Id(9)] DateTimeOffset? RevokedAt,
    [property: Id(10)] IReadOnlyList<RepurchaseRun> Runs);
