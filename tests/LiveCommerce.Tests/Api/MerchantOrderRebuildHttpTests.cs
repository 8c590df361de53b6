using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Merchants;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// The merchant order list's rebuild through HTTP on the embedded cluster: rows deleted, behind on a refund, on a
/// status or on an after-sale step, and a row without an order are put back to exactly what the live projection had
/// (and the ghost removed); a second run changes nothing; a row updated after its order was read is left alone; only
/// admins may run it.
/// </summary>
public sealed class MerchantOrderRebuildHttpTests(MerchantApiFactory api) : IClassFixture<MerchantApiFactory>
{
    private static readonly IMerchantOrderStore Store = EmbeddedStores.MerchantOrders;

    [Fact]
    public async Task A_rebuild_restores_deleted_and_corrupted_rows_to_what_the_live_projection_had_and_a_second_run_changes_nothing()
    {
        var shop = await OpenAsync(api, stock: 50, livePrice: 10_000);
        var alice = await shop.BuyerAsync("alice");
        var bob = await shop.BuyerAsync("bob");
        var carol = await shop.BuyerAsync("carol");
        var dave = await shop.BuyerAsync("dave");

        var pending = await PlacedAsync(shop, alice, "pending");
        Step();
        var paid = await PlacedAsync(shop, alice, "paid");
        await shop.PayAsync(alice, paid);
        Step();
        var shipped = await PlacedAsync(shop, bob, "shipped");
        await shop.PayAsync(bob, shipped);
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{shipped}/ship", new { carrier = "sf", trackingNumber = "SF100" }));
        Step();
        var cancelled = await PlacedAsync(shop, bob, "cancelled");
        await Ok(bob.PostAsync($"/v1/orders/{cancelled}/cancel", null));
        Step();
        var refunded = await PlacedAsync(shop, carol, "refunded");
        await shop.PayAsync(carol, refunded);
        Step();
        await Ok(Post(shop.Merchant, $"/v1/orders/{refunded}/refunds", new { amount = 3_000, reason = "scratched lid" }, "rf-1"));
        Step();
        var withCase = await PlacedAsync(shop, dave, "case");
        await shop.PayAsync(dave, withCase);
        Step();
        var opened = await Read(await Post(dave, $"/v1/orders/{withCase}/after-sales",
            new { kind = "refundOnly", reasonCode = "not_as_described", description = "", evidence = Array.Empty<string>(), amount = 500 }, "case-1"),
            HttpStatusCode.Created);
        Step();
        await Ok(Post(shop.Merchant, $"/v1/after-sales/{opened.GetProperty("caseId").GetString()}/reject", new { reason = "as described" }));
        string[] orders = [pending, paid, shipped, cancelled, refunded, withCase];

        // The live projection, once every event has arrived.
        var live = await Eventually(() => RowsAsync(shop.MerchantId, orders), rows => rows.All(r => r is not null)
            && rows[1]!.Status == OrderStatus.Paid && rows[2]!.Status == OrderStatus.Shipped && rows[3]!.Status == OrderStatus.Cancelled
            && rows[4]!.RefundedAmount == 3_000 && rows[5]!.AfterSale == AfterSaleStatus.Rejected);

        // Lost events, as a crash would leave them: a row missing, a refund lost, a status and an after-sale step behind; and a row with no order.
        var far = api.Clock.GetUtcNow().AddDays(1);
        var ghost = MerchantOrderRebuild.RowOf(Order(live[0]!) with { OrderId = shop.Prefix + "-ghost" }, []);
        await Store.ReplaceAsync(shop.MerchantId,
        [
            new(Record(live[4]! with { RefundedAmount = 0 }), far),
            new(Record(live[1]! with { Status = OrderStatus.PendingPayment, PaidAt = null }), far),
            new(Record(live[5]! with { AfterSale = AfterSaleStatus.AwaitingMerchant }), far),
            new(ghost, far),
        ], [shipped]);
        var corrupted = await RowsAsync(shop.MerchantId, orders);
        Assert.Null(corrupted[2]);
        Assert.Equal((0L, OrderStatus.PendingPayment, AfterSaleStatus.AwaitingMerchant),
            (corrupted[4]!.RefundedAmount, corrupted[1]!.Status, corrupted[5]!.AfterSale));

        var first = await RebuildAsync(shop.Admin, shop.MerchantId);
        Assert.Equal((6, 6, 4, 1, 0), (first.OrdersScanned, first.RowsWritten, first.RowsChanged, first.RowsRemoved, first.RowsSkipped));
        Assert.True(first.BuyersScanned >= 4, $"{first.BuyersScanned} buyers scanned");
        Assert.Equal(live, await RowsAsync(shop.MerchantId, orders));
        Assert.Null(await Store.FindAsync(shop.MerchantId, ghost.OrderId));
        var list = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders"));
        Assert.Equal(6, list.GetProperty("items").GetArrayLength());
        Assert.Equal(3_000, list.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("orderId").GetString() == refunded)
            .GetProperty("refundedAmount").GetInt64());

        // Idempotent: the same rows, nothing changed.
        var second = await RebuildAsync(shop.Admin, shop.MerchantId);
        Assert.Equal((6, 6, 0, 0, 0), (second.OrdersScanned, second.RowsWritten, second.RowsChanged, second.RowsRemoved, second.RowsSkipped));
        Assert.Equal(live, await RowsAsync(shop.MerchantId, orders));

        // A row the feed updated after the rebuild read its order (here: stamped later than the business clock) is not
        // moved backwards: the run reads the order again a few times, then leaves the row to the live feed.
        var ahead = Record(live[2]! with { Status = OrderStatus.Delivered, UpdatedAt = api.Clock.GetUtcNow().AddHours(1) });
        await Store.ReplaceAsync(shop.MerchantId, [new(ahead, far)], []);
        var third = await RebuildAsync(shop.Admin, shop.MerchantId);
        Assert.Equal((5, 0, 1), (third.RowsWritten, third.RowsChanged, third.RowsSkipped));
        Assert.Equal(OrderStatus.Delivered, (await Store.FindAsync(shop.MerchantId, shipped))!.Status);
    }

    [Fact]
    public async Task Only_an_admin_may_rebuild_a_merchants_order_list()
    {
        var shop = await OpenAsync(api, stock: 5);
        var path = $"/v1/admin/merchants/{shop.MerchantId}/orders/rebuild";
        await Read(await shop.Merchant.PostAsync(path, null), HttpStatusCode.Forbidden);
        await Read(await (await api.ClientAs(shop.MerchantId, "buyer")).PostAsync(path, null), HttpStatusCode.Forbidden);
        await Read(await (await shop.BuyerAsync("erin")).PostAsync(path, null), HttpStatusCode.Forbidden);
        await Read(await shop.Streamer.PostAsync(path, null), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().PostAsync(path, null)).StatusCode);
        Assert.Equal("merchantId", (await Read(await shop.Admin.PostAsync("/v1/admin/merchants/a%20b/orders/rebuild", null), HttpStatusCode.BadRequest))
            .GetProperty("errors").EnumerateObject().Single().Name);

        // A merchant with no orders: nothing scanned, nothing written.
        var empty = await RebuildAsync(shop.Admin, shop.MerchantId);
        Assert.Equal((0, 0, 0, 0), (empty.OrdersScanned, empty.RowsWritten, empty.RowsChanged, empty.RowsRemoved));
    }

    private void Step() => api.Clock.Advance(TimeSpan.FromSeconds(1));

    private static async Task<MerchantOrderRebuildResult> RebuildAsync(HttpClient admin, string merchantId) =>
        (await Read(await admin.PostAsync($"/v1/admin/merchants/{merchantId}/orders/rebuild", null))).Deserialize<MerchantOrderRebuildResult>(Json)!;

    private static async Task<List<MerchantOrderRow?>> RowsAsync(string merchantId, IEnumerable<string> orderIds)
    {
        var rows = new List<MerchantOrderRow?>();
        foreach (var id in orderIds) rows.Add(await Store.FindAsync(merchantId, id));
        return rows;
    }

    /// <summary>A stored record carrying a row's values (refunds counted: one key per refunded amount, enough to corrupt with).</summary>
    private static MerchantOrderRecord Record(MerchantOrderRow r) => new()
    {
        OrderId = r.OrderId, MerchantId = r.MerchantId, BuyerId = r.BuyerId, RoomId = r.RoomId, StreamerId = r.StreamerId, ProductId = r.ProductId,
        Quantity = r.Quantity, UnitPrice = r.UnitPrice, Amount = r.Amount, Status = r.Status, PlacedAt = r.PlacedAt, PaidAt = r.PaidAt,
        ShippedAt = r.ShippedAt, RefundedAmount = r.RefundedAmount, RefundKeys = r.RefundedAmount > 0 ? [$"0:{r.RefundedAmount}"] : [],
        AfterSale = r.AfterSale, AfterSaleAt = r.AfterSale == AfterSaleStatus.None ? null : r.UpdatedAt, ShippingAddress = r.ShippingAddress,
        UpdatedAt = r.UpdatedAt,
    };

    /// <summary>An order view with a row's facts, to make a row for an order that does not exist.</summary>
    private static OrderView Order(MerchantOrderRow r) => new(r.OrderId, r.BuyerId, r.RoomId, r.StreamerId, r.MerchantId, r.ProductId, r.Quantity,
        r.UnitPrice, r.Amount, OrderStatus.PendingPayment, r.PlacedAt, r.PlacedAt.AddMinutes(15), null, null, null, null, null, null, null, null, 0, 0,
        null, [], [], [], false, null, r.ShippingAddress);

    private static Task<HttpResponseMessage> Post(HttpClient client, string path, object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static async Task<string> PlacedAsync(HttpShop shop, HttpClient buyer, string key) =>
        (await Read(await shop.PlaceAsync(buyer, key), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) Assert.Fail($"the list did not converge: {JsonSerializer.Serialize(value)}");
            await Task.Delay(25);
        }
    }
}
