using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Grains.Rooms;
using LiveCommerce.Tests.Support;
using Orleans.Storage;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// While a silo hands its grains over, the grain directory can briefly hold two activations of one grain. The stores
/// that save deltas (an account's balances, a room's stock lines) are versioned, so the activation that did not see
/// the other's save fails its own instead of overwriting it, and a retry reaches an activation that loaded both. Here
/// the "other activation" is a save made straight to the cluster's store between two calls.
/// </summary>
public sealed class SecondActivationTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task An_account_that_missed_another_activations_save_fails_its_own_and_a_retry_keeps_both()
    {
        var id = "dup-" + Guid.NewGuid().ToString("N")[..8];
        var at = fixture.Clock.GetUtcNow();
        var account = fixture.Client.GetGrain<ISettlementAccountGrain>(id);
        await account.Apply(new AccountPosting($"oa-{id}:{id}:1", $"oa-{id}", PostingKind.CreditPending, 7000, at, 1, 7000));

        // The other activation credits 3,000 fen and saves.
        var other = (await fixture.Settlement.LoadAccountAsync(id))!;
        var lines = new List<LedgerLine>();
        new AccountBook(id, other, new BusinessCalendar(new BusinessCalendarOptions()))
            .Apply(new AccountPosting($"ob-{id}:{id}:1", $"ob-{id}", PostingKind.CreditPending, 3000, at, 1, 7000), null, lines);
        await fixture.Settlement.SaveAsync(new AccountSave(id, other.CopyBalances(), other.Open.Values.ToList(), [], lines, [], []));

        var third = new AccountPosting($"oc-{id}:{id}:1", $"oc-{id}", PostingKind.CreditPending, 500, at, 1, 7000);
        await Assert.ThrowsAsync<InconsistentStateException>(() => account.Apply(third));
        await RetryAsync(() => account.Apply(third)); // as the order's outbox does

        var balance = await account.GetBalance();
        Assert.Equal(7000 + 3000 + 500, balance.Pending);
        var stored = (await fixture.Settlement.LoadAccountAsync(id))!;
        Assert.Equal(7000 + 3000 + 500, stored.Pending);
        Assert.Equal(3, stored.Open.Count);
    }

    [Fact]
    public async Task A_room_that_missed_another_activations_stock_line_fails_its_write_and_a_retry_counts_both()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 10);
        var buyers = await shop.RegisterBuyersAsync(2);
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyers[0])).Outcome);

        // The other activation reserves 2 units for an order of its own and writes the line.
        var snapshot = await fixture.RoomStock.LoadAsync(shop.RoomId);
        var at = fixture.Clock.GetUtcNow();
        await fixture.RoomStock.WriteAsync(shop.RoomId, snapshot.Version,
            [new StockLine("other-" + shop.Prefix, shop.ProductId, "other-buyer", 2, 9900, at.AddMinutes(15), StockLineStatus.Reserved, 0, at)]);

        await Assert.ThrowsAnyAsync<Exception>(() => shop.PlaceAsync(buyers[1]));
        var placed = await RetryAsync(() => shop.PlaceAsync(buyers[1])); // the same Idempotency-Key, as the front door repeats it
        Assert.Contains(placed.Outcome, new[] { PlaceOutcome.Placed, PlaceOutcome.Replayed });

        var item = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((10 - 1 - 2 - 1, 1 + 2 + 1), (item.StockLeft, item.Reserved));
        var lines = await fixture.RoomStock.LoadAsync(shop.RoomId);
        Assert.Equal(4, lines.Open.Sum(l => l.Quantity));
    }

    private static async Task RetryAsync(Func<Task> call) => await RetryAsync(async () => { await call(); return true; });

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await call(); }
            catch (Exception) when (attempt < 50) { await Task.Delay(100); }
        }
    }
}
