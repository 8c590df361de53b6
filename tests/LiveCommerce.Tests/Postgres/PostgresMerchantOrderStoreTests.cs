using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Merchants;
using LiveCommerce.Tests.Domain;
using LiveCommerce.Tests.Support;
using Npgsql;

namespace LiveCommerce.Tests.Postgres;

/// <summary>The merchant order list's table on PostgreSQL: redelivered and reordered events, keyset pages, filters, counts.</summary>
public sealed class PostgresMerchantOrderStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static async Task<(IMerchantOrderStore Store, NpgsqlDataSource Source)> StoreAsync()
    {
        var source = NpgsqlDataSource.Create(await PostgresDatabase.RequireAsync());
        return (new PostgresMerchantOrderStore(source), source);
    }

    private static string NewMerchant() => "pm-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Redelivered_and_out_of_order_events_leave_the_same_row_as_one_ordered_delivery()
    {
        var (store, source) = await StoreAsync();
        await using var _ = source;
        var merchant = NewMerchant();
        OrderEvent E(OrderEventKind kind, int minutes, long refund = 0) => MerchantOrderRulesTests.Event(kind, "o1", refund: refund, minutes: minutes, merchant: merchant);
        var caseStep = new AfterSaleCaseChanged("c1", "o1", "b1", merchant, "s1", "r1", "p1", AfterSaleKind.RefundOnly, AfterSaleStatus.AwaitingMerchant,
            "damaged", 4_000, 0, false, T0.AddMinutes(4));

        // The case first (no order facts yet: not listed), then shipped before paid, then everything again, one by one and in a batch.
        await store.ApplyAsync([caseStep]);
        Assert.Null(await store.FindAsync(merchant, "o1"));
        await store.ApplyAsync([E(OrderEventKind.Shipped, 3)]);
        await store.ApplyAsync([E(OrderEventKind.Paid, 1), E(OrderEventKind.Placed, 0)]);
        await store.ApplyAsync([E(OrderEventKind.Refunded, 5, refund: 4_000)]);
        var once = await store.FindAsync(merchant, "o1");
        await store.ApplyAsync([E(OrderEventKind.Placed, 0), E(OrderEventKind.Paid, 1), E(OrderEventKind.Shipped, 3), caseStep, E(OrderEventKind.Refunded, 5, refund: 4_000)]);
        var again = await store.FindAsync(merchant, "o1");

        Assert.NotNull(once);
        Assert.Equal(once, again);
        Assert.Equal(OrderStatus.Shipped, again!.Status);
        Assert.Equal(4_000, again.RefundedAmount);
        Assert.Equal(AfterSaleStatus.AwaitingMerchant, again.AfterSale);
        Assert.Equal(T0.AddMinutes(1), again.PaidAt);
        Assert.Equal("13812345678", again.ShippingAddress?.Phone);
        Assert.Equal(T0, again.PlacedAt);

        // The rest of the refund ends the order refunded; an older event afterwards changes nothing.
        await store.ApplyAsync([E(OrderEventKind.Refunded, 6, refund: 6_000), E(OrderEventKind.Delivered, 4)]);
        var refunded = await store.FindAsync(merchant, "o1");
        Assert.Equal((OrderStatus.Refunded, 10_000L), (refunded!.Status, refunded.RefundedAmount));
    }

    [Fact]
    public async Task Pages_are_keyset_ordered_without_repeats_and_filters_and_counts_match_the_memory_store()
    {
        var (store, source) = await StoreAsync();
        await using var _ = source;
        var memory = new InMemoryMerchantOrderStore();
        var merchant = NewMerchant();
        var events = new List<DomainEvent>();
        for (var i = 0; i < 23; i++)
        {
            // Three orders per instant, so ties are broken by order id; ids chosen so "C" collation and ordinal agree.
            var placed = T0.AddSeconds(i / 3).AddTicks(7); // sub-microsecond ticks are cut by both stores
            var kind = (i % 4) switch { 0 => OrderEventKind.Placed, 1 => OrderEventKind.Paid, 2 => OrderEventKind.Shipped, _ => OrderEventKind.Cancelled };
            events.Add(MerchantOrderRulesTests.Event(kind, $"o-{i:D2}", minutes: 1, merchant: merchant, placedAt: placed) with { RoomId = i % 2 == 0 ? "r1" : "r2" });
        }
        events.Add(MerchantOrderRulesTests.Event(OrderEventKind.Paid, "other", merchant: NewMerchant()));
        await store.ApplyAsync(events);
        await memory.ApplyAsync(events);

        foreach (var filter in new[]
        {
            MerchantOrderFilter.None,
            MerchantOrderFilter.None with { Statuses = [OrderStatus.Paid, OrderStatus.Shipped] },
            MerchantOrderFilter.None with { RoomId = "r2" },
            MerchantOrderFilter.None with { PlacedFrom = T0.AddSeconds(2), PlacedTo = T0.AddSeconds(5) },
            MerchantOrderFilter.None with { ProductId = "p-none" },
        })
        {
            var fromDb = await AllPagesAsync(store, merchant, filter);
            var fromMemory = await AllPagesAsync(memory, merchant, filter);
            Assert.Equal(fromMemory.Select(r => r.OrderId), fromDb.Select(r => r.OrderId));
            Assert.Equal(fromDb.Count, fromDb.Select(r => r.OrderId).Distinct().Count());
            Assert.Equal(await memory.CountAsync(merchant, filter), await store.CountAsync(merchant, filter));
        }
        var all = await AllPagesAsync(store, merchant, MerchantOrderFilter.None);
        Assert.Equal(23, all.Count);
        Assert.Equal("o-22", all[0].OrderId);
        Assert.Equal(6, (await store.CountAsync(merchant, MerchantOrderFilter.None)).Single(c => c.Status == OrderStatus.Paid).Count);
    }

    private static async Task<List<MerchantOrderRow>> AllPagesAsync(IMerchantOrderStore store, string merchant, MerchantOrderFilter filter)
    {
        var rows = new List<MerchantOrderRow>();
        OrderListPosition? after = null;
        do
        {
            var page = await MerchantOrdersGrain.ListAsync(store, merchant, filter, after, 4);
            rows.AddRange(page.Items);
            after = page.Next;
        } while (after is not null);
        return rows;
    }
}
