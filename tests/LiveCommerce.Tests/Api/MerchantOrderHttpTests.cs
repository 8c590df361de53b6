using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>The front door with the per-IP rules off: every test client shares one address, and these tests place many orders.</summary>
public sealed class MerchantApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Risk:Rules:ip-burst:Enabled", "false");
        builder.UseSetting("LiveCommerce:Risk:Rules:ip-many-buyers:Enabled", "false");
        builder.UseSetting("LiveCommerce:Risk:Rules:device-many-buyers:Enabled", "false");
    }
}

public sealed class MerchantOrderHttpTests(MerchantApiFactory api) : IClassFixture<MerchantApiFactory>
{
    [Fact]
    public async Task Paging_is_stable_while_orders_are_placed_concurrently()
    {
        var shop = await OpenAsync(api, stock: 500);
        var before = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            var buyer = await shop.BuyerAsync("b" + i);
            before.Add(await PlacedAsync(shop, buyer, "k" + i));
            if (i % 5 == 4) api.Clock.Advance(TimeSpan.FromSeconds(1)); // several orders per instant: the order id breaks ties
        }
        await ListedAsync(shop, 24);

        // New orders arrive while the merchant pages through with small pages.
        var buyers = new List<HttpClient>();
        for (var i = 0; i < 16; i++) buyers.Add(await shop.BuyerAsync("late" + i));
        using var stop = new CancellationTokenSource();
        var placing = Task.Run(async () =>
        {
            for (var i = 0; i < buyers.Count; i++)
            {
                await PlacedAsync(shop, buyers[i], "late" + i);
                if (i % 3 == 0) api.Clock.Advance(TimeSpan.FromMilliseconds(500));
            }
        });

        var seen = new List<(DateTimeOffset PlacedAt, string OrderId)>();
        string? cursor = null;
        do
        {
            var page = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders?limit=5{(cursor is null ? "" : "&cursor=" + cursor)}"));
            foreach (var item in page.GetProperty("items").EnumerateArray())
                seen.Add((item.GetProperty("placedAt").GetDateTimeOffset(), item.GetProperty("orderId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            await Task.Delay(20);
        } while (cursor is not null);
        await placing;

        var ids = seen.Select(s => s.OrderId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());                  // nothing twice
        Assert.All(before, id => Assert.Contains(id, ids));                // nothing that was there skipped
        for (var i = 1; i < seen.Count; i++)                               // newest first, ties by order id
            Assert.True(seen[i - 1].PlacedAt > seen[i].PlacedAt || (seen[i - 1].PlacedAt == seen[i].PlacedAt
                && string.CompareOrdinal(seen[i - 1].OrderId, seen[i].OrderId) > 0), $"{seen[i - 1]} before {seen[i]}");
        await ListedAsync(shop, 40);
    }

    [Fact]
    public async Task Every_filter_narrows_the_list_and_the_counts_cover_every_status()
    {
        var shop = await OpenAsync(api, stock: 50);
        var p2 = shop.Prefix + "-p2";
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{p2}", new { name = "Lip balm", category = "beauty", listPrice = 3000 }));
        await shop.PublishOfferAsync(p2);
        await Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{p2}", new { livePrice = 2500, stock = 50, splitPlan = shop.SixLevelPlan() }));
        var room2 = await SecondRoomAsync(shop);

        var start = api.Clock.GetUtcNow();
        var alice = await shop.BuyerAsync("alice");
        var paid = await PlacedAsync(shop, alice, "paid");
        await shop.PayAsync(alice, paid);
        api.Clock.Advance(TimeSpan.FromHours(1));
        var pending = await PlacedAsync(shop, alice, "pending", productId: p2);
        api.Clock.Advance(TimeSpan.FromHours(1));
        var bob = await shop.BuyerAsync("bob");
        var shipped = await PlacedAsync(shop, bob, "shipped", roomId: room2);
        await shop.PayAsync(bob, shipped);
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{shipped}/ship", new { trackingNumber = "SF100" }));
        api.Clock.Advance(TimeSpan.FromHours(1));
        var cancelled = await PlacedAsync(shop, bob, "cancelled");
        await Ok(bob.PostAsync($"/v1/orders/{cancelled}/cancel", null));

        // The case grain publishes its steps on the merchant stream; here the test publishes one itself.
        await PublishAsync(shop.MerchantId, new AfterSaleCaseChanged("case-1", paid, shop.Prefix + "-alice", shop.MerchantId, shop.StreamerId,
            shop.RoomId, shop.ProductId, AfterSaleKind.RefundOnly, AfterSaleStatus.AwaitingMerchant, "not_as_described", 1000, 0, false, api.Clock.GetUtcNow()));

        var list = $"/v1/merchants/{shop.MerchantId}/orders";
        var all = await Eventually(() => Ok(shop.Merchant.GetAsync(list)), page =>
            Ids(page).Count == 4 && Status(page, shipped) == "shipped" && Status(page, cancelled) == "cancelled" && Status(page, paid) == "paid"
            && page.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("afterSale").GetString() == "awaitingMerchant")
            // The page and the counts are two reads of the projection: a write can land between them, so wait for both.
            && page.GetProperty("counts").GetProperty("cancelled").GetInt32() == 1 && page.GetProperty("counts").GetProperty("shipped").GetInt32() == 1);
        Assert.Equal([cancelled, shipped, pending, paid], Ids(all));
        var counts = all.GetProperty("counts");
        Assert.Equal((1, 1, 1, 1, 0), (counts.GetProperty("paid").GetInt32(), counts.GetProperty("pendingPayment").GetInt32(),
            counts.GetProperty("shipped").GetInt32(), counts.GetProperty("cancelled").GetInt32(), counts.GetProperty("refunded").GetInt32()));

        async Task<List<string>> Filtered(string query) => Ids(await Ok(shop.Merchant.GetAsync($"{list}?{query}")));
        Assert.Equal([paid], await Filtered("status=paid"));
        Assert.Equal([shipped, paid], await Filtered("status=paid,shipped"));
        Assert.Equal([shipped, paid], await Filtered("status=paid&status=shipped"));
        Assert.Equal([shipped], await Filtered($"roomId={room2}"));
        Assert.Equal([pending], await Filtered($"productId={p2}"));
        Assert.Equal([shipped, pending], await Filtered($"placedFrom={Iso(start.AddMinutes(30))}&placedTo={Iso(start.AddHours(2).AddMinutes(1))}"));
        Assert.Equal([paid], await Filtered("afterSale=awaitingMerchant"));
        Assert.Empty(await Filtered($"status=paid&roomId={room2}"));

        // Counts ignore the status filter but honour the others: the tabs of a filtered view.
        var inRoom1 = await Ok(shop.Merchant.GetAsync($"{list}?status=paid&roomId={shop.RoomId}"));
        Assert.Equal((1, 0, 1), (inRoom1.GetProperty("counts").GetProperty("paid").GetInt32(), inRoom1.GetProperty("counts").GetProperty("shipped").GetInt32(),
            inRoom1.GetProperty("counts").GetProperty("cancelled").GetInt32()));

        // Bad input names the parameter at fault.
        foreach (var (query, field) in new[]
        {
            ("status=lost", "status"), ("afterSale=sometimes", "afterSale"), ("limit=101", "limit"), ("limit=0", "limit"), ("cursor=zzz", "cursor"),
            ("placedFrom=yesterday", "placedFrom"), ($"placedFrom={Iso(start)}&placedTo={Iso(start)}", "placedTo"), ("roomId=a%20b", "roomId"),
        })
        {
            var problem = await Read(await shop.Merchant.GetAsync($"{list}?{query}"), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
    }

    [Fact]
    public async Task A_merchant_sees_only_its_own_orders_and_phones_are_masked_except_on_an_order_it_must_ship()
    {
        var shop = await OpenAsync(api, stock: 20);
        var alice = await shop.BuyerAsync("alice");
        var orderId = await PlacedAsync(shop, alice, "o1");
        var fullPhone = PhoneOf("alice");
        var masked = fullPhone[..3] + "****" + fullPhone[^4..];

        // The buyer sees its own full address; the merchant sees it masked until the order is paid.
        Assert.Equal(fullPhone, Phone(await Ok(alice.GetAsync($"/v1/orders/{orderId}"))));
        Assert.Equal(masked, Phone(await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}"))));
        await shop.PayAsync(alice, orderId);
        Assert.Equal(fullPhone, Phone(await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}"))));
        var listed = await Eventually(() => Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders")),
            page => Status(page, orderId) == "paid");
        Assert.Equal(masked, listed.GetProperty("items")[0].GetProperty("shippingAddress").GetProperty("phone").GetString());
        Assert.Equal("Recipient alice", listed.GetProperty("items")[0].GetProperty("shippingAddress").GetProperty("recipient").GetString());

        // Shipped: masked again, also in the answer to the ship call itself.
        var shippedView = await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF1" }));
        Assert.Equal(masked, Phone(shippedView));
        Assert.Equal(masked, Phone(await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}"))));
        Assert.Equal(fullPhone, Phone(await Ok(alice.GetAsync($"/v1/orders/{orderId}"))));

        // Another merchant: neither the list nor the order; a buyer token whose subject is the merchant id is no merchant.
        var other = await api.ClientAs(shop.Prefix + "-other", "merchant");
        await Read(await other.GetAsync($"/v1/merchants/{shop.MerchantId}/orders"), HttpStatusCode.Forbidden);
        await Read(await other.GetAsync($"/v1/merchants/{shop.MerchantId}/orders/export.csv"), HttpStatusCode.Forbidden);
        await Read(await other.GetAsync($"/v1/orders/{orderId}"), HttpStatusCode.Forbidden);
        Assert.Empty(Ids(await Ok(other.GetAsync($"/v1/merchants/{shop.Prefix}-other/orders"))));
        var impostor = await api.ClientAs(shop.MerchantId, "buyer");
        await Read(await impostor.GetAsync($"/v1/merchants/{shop.MerchantId}/orders"), HttpStatusCode.Forbidden);
        await Read(await alice.GetAsync($"/v1/merchants/{shop.MerchantId}/orders"), HttpStatusCode.Forbidden);
        await Read(await api.CreateClient().GetAsync($"/v1/merchants/{shop.MerchantId}/orders"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_csv_export_holds_the_filtered_list_with_masked_phones()
    {
        var shop = await OpenAsync(api, stock: 20, livePrice: 4990);
        var carol = await shop.BuyerAsync("carol");
        var paid = await PlacedAsync(shop, carol, "e1", quantity: 2);
        await shop.PayAsync(carol, paid);
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var unpaid = await PlacedAsync(shop, carol, "e2");
        await Eventually(() => Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders")),
            page => Ids(page).Count == 2 && Status(page, paid) == "paid");

        var response = await shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders/export.csv?status=paid");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("X-Export-Truncated"));
        var rows = ParseCsv(await response.Content.ReadAsByteArrayAsync());
        var row = Assert.Single(rows);
        Assert.Equal(paid, row["order_id"]);
        Assert.Equal("paid", row["status"]);
        Assert.Equal("none", row["after_sale"]);
        Assert.Equal(("2", "4990", "9980", "0"), (row["quantity"], row["unit_price_fen"], row["amount_fen"], row["refunded_fen"]));
        Assert.Equal(PhoneOf("carol")[..3] + "****" + PhoneOf("carol")[^4..], row["phone"]);
        Assert.Equal("Recipient carol", row["recipient"]);

        var both = ParseCsv(await (await shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders/export.csv")).Content.ReadAsByteArrayAsync());
        Assert.Equal([unpaid, paid], both.Select(r => r["order_id"]).ToList());
    }

    private async Task<string> SecondRoomAsync(HttpShop shop)
    {
        var open = new HttpRequestMessage(HttpMethod.Post, "/v1/rooms") { Content = JsonContent.Create(new { title = "Late show", city = "Hangzhou" }) };
        open.Headers.Add("Idempotency-Key", shop.Prefix + "-room2");
        var roomId = (await Read(await shop.Streamer.SendAsync(open), HttpStatusCode.Created)).GetProperty("roomId").GetString()!;
        await Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{roomId}/shelf/{shop.ProductId}", new { livePrice = 9900, stock = 50, splitPlan = shop.SixLevelPlan() }));
        await Ok(shop.Streamer.PostAsync($"/v1/rooms/{roomId}/start", null));
        return roomId;
    }

    private async Task PublishAsync(string merchantId, DomainEvent e) =>
        await api.Services.GetRequiredService<IClusterClient>().GetStreamProvider(EventStreams.Provider)
            .GetStream<DomainEvent>(StreamId.Create(EventStreams.Merchants, merchantId)).OnNextAsync(e);

    private static async Task<string> PlacedAsync(HttpShop shop, HttpClient buyer, string key, int quantity = 1, string? productId = null, string? roomId = null) =>
        (await Read(await shop.PlaceAsync(buyer, key, quantity, productId, roomId), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;

    /// <summary>The list is eventually consistent: polls until the merchant sees <paramref name="count"/> orders.</summary>
    private static Task<JsonElement> ListedAsync(HttpShop shop, int count) =>
        Eventually(() => Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/orders?limit=1")),
            page => page.GetProperty("counts").EnumerateObject().Sum(c => c.Value.GetInt32()) == count);

    private static async Task<JsonElement> Eventually(Func<Task<JsonElement>> read, Func<JsonElement, bool> done)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) Assert.Fail($"the list did not converge: {value}");
            await Task.Delay(25);
        }
    }

    private static List<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("orderId").GetString()!).ToList();

    private static string? Status(JsonElement page, string orderId) => page.GetProperty("items").EnumerateArray()
        .Where(i => i.GetProperty("orderId").GetString() == orderId).Select(i => i.GetProperty("status").GetString()).FirstOrDefault();

    private static string? Phone(JsonElement order) => order.GetProperty("shippingAddress").GetProperty("phone").GetString();

    private static string Iso(DateTimeOffset at) => Uri.EscapeDataString(at.UtcDateTime.ToString("O"));

    private static List<Dictionary<string, string>> ParseCsv(byte[] csv) => CsvRows.Parse(csv);
}
