using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Analytics;
using LiveCommerce.Grains.Merchants;
using LiveCommerce.Tests.Domain;
using LiveCommerce.Tests.Support;
using Npgsql;
using static LiveCommerce.Tests.Domain.MerchantOrderRebuildRulesTests;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// The merchant order list's replace (the rebuild's write) on PostgreSQL, side by side with the memory store: rebuilt
/// rows put deleted and corrupted rows back to what the events folded, remove rows without an order, leave a row
/// updated after its order was read, keep refund keys so a late event is not counted twice, and refuse another
/// merchant's row without writing anything.
/// </summary>
public sealed class PostgresMerchantOrderReplaceTests
{
    [Fact]
    public async Task Replace_restores_rows_removes_ghosts_is_idempotent_and_never_moves_a_newer_row_back()
    {
        await using var source = NpgsqlDataSource.Create(await PostgresDatabase.RequireAsync());
        var postgres = new PostgresMerchantOrderStore(source);
        var memory = new InMemoryMerchantOrderStore();
        var merchant = "pr-" + Guid.NewGuid().ToString("N")[..10];

        var refunded = Order(OrderStatus.Shipped, paid: 1, shipped: 60, refunds: [(90, 3_000), (95, 2_000)], merchant: merchant);
        var settled = Order(OrderStatus.Settled, paid: 1, shipped: 60, delivered: 600, confirmed: 700, settled: 800, merchant: merchant) with { OrderId = "o2" };
        List<DomainEvent> Events(OrderView o) => [.. OrderReplay.EventsOf(o, null, null).Select(e => e with { ShippingAddress = Home })];

        foreach (var store in new IMerchantOrderStore[] { postgres, memory })
        {
            await store.ApplyAsync([.. Events(refunded), .. Events(settled)]);
            var live = (await store.FindAsync(merchant, "o1"), await store.FindAsync(merchant, "o2"));
            Assert.Equal(5_000, live.Item1!.RefundedAmount);

            // Lost events: the second refund and the whole second order; and a row no order stands behind.
            var far = At(10_000);
            var behind = MerchantOrderRebuild.RowOf(refunded with { Refunds = refunded.Refunds.Take(1).ToList(), RefundedAmount = 3_000 }, []);
            var ghost = MerchantOrderRebuild.RowOf(refunded with { OrderId = "ghost" }, []);
            var corrupt = await store.ReplaceAsync(merchant, [new(behind, far), new(ghost, far)], ["o2"]);
            Assert.Equal((2, 2, 1), (corrupt.Written, corrupt.Changed, corrupt.Removed));
            Assert.Equal(3_000, (await store.FindAsync(merchant, "o1"))!.RefundedAmount);
            Assert.Null(await store.FindAsync(merchant, "o2"));

            RebuiltRecord[] rebuilt = [new(MerchantOrderRebuild.RowOf(refunded, []), At(1_000)), new(MerchantOrderRebuild.RowOf(settled, []), At(1_000))];
            var first = await store.ReplaceAsync(merchant, rebuilt, ["ghost"]);
            Assert.Equal((2, 2, 1), (first.Written, first.Changed, first.Removed));
            Assert.Equal(live, (await store.FindAsync(merchant, "o1"), await store.FindAsync(merchant, "o2")));
            Assert.Null(await store.FindAsync(merchant, "ghost"));

            var second = await store.ReplaceAsync(merchant, rebuilt, ["ghost"]);
            Assert.Equal((2, 0, 0), (second.Written, second.Changed, second.Removed));
            Assert.Empty(second.Moved);

            // The refund keys were stored with the row: the late event of a refund already counted changes nothing.
            await store.ApplyAsync([Events(refunded).Last(e => e is OrderEvent { Kind: OrderEventKind.Refunded })]);
            Assert.Equal(live.Item1, await store.FindAsync(merchant, "o1"));

            // A refund after the rebuild read the order: the row is newer than the read, so it stays and is named.
            var newer = OrderReplay.EventsOf(refunded with { Refunds = [.. refunded.Refunds, new RefundView("rf-o1-3", 1_000, "x", At(2_000), false)] }, null, null)
                .Last() with { ShippingAddress = Home };
            await store.ApplyAsync([newer]);
            var moved = await store.ReplaceAsync(merchant, rebuilt, []);
            Assert.Equal(["o1"], moved.Moved);
            Assert.Equal((1, 0), (moved.Written, moved.Changed));
            Assert.Equal(6_000, (await store.FindAsync(merchant, "o1"))!.RefundedAmount);

            // Another merchant's row is refused and nothing of the call is written.
            var foreign = MerchantOrderRebuild.RowOf(settled with { MerchantId = merchant + "-x", OrderId = "o3" }, []);
            await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceAsync(merchant, [new(foreign, far)], ["o2"]));
            Assert.NotNull(await store.FindAsync(merchant, "o2"));
        }
    }
}
