using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

public sealed class AddressHttpTests(MerchantApiFactory api) : IClassFixture<MerchantApiFactory>
{
    private static object Address(string recipient = "Han Meimei", string phone = "13900001111", string? detail = null, bool? isDefault = null) => new
    {
        recipient, phone, province = "Guangdong", city = "Shenzhen", district = "Nanshan", detail = detail ?? "8 Keyuan Road", regionCode = "440305", isDefault,
    };

    private static Task<HttpResponseMessage> AddAsync(HttpClient client, string buyerId, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/buyers/{buyerId}/addresses") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Without_a_token_every_address_book_route_is_a_401_and_changes_nothing()
    {
        var shop = await OpenAsync(api);
        var buyer = await shop.BuyerAsync("anon");
        var id = shop.Prefix + "-anon";
        var book = $"/v1/buyers/{id}/addresses";
        var addressId = (await Ok(buyer.GetAsync(book)))[0].GetProperty("addressId").GetString();
        var anonymous = api.CreateClient();
        var calls = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, book, null), (HttpMethod.Post, book, Address()), (HttpMethod.Put, $"{book}/{addressId}", Address(recipient: "Mallory")),
            (HttpMethod.Post, $"{book}/{addressId}/default", null), (HttpMethod.Delete, $"{book}/{addressId}", null),
        };
        foreach (var (method, path, body) in calls)
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "anon-1");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(request)).StatusCode);
        }
        var after = Assert.Single((await Ok(buyer.GetAsync(book))).EnumerateArray());
        Assert.Equal(addressId, after.GetProperty("addressId").GetString());
        Assert.NotEqual("Mallory", after.GetProperty("address").GetProperty("recipient").GetString());
    }

    [Fact]
    public async Task A_buyer_keeps_its_own_validated_bounded_address_book_and_nobody_else_touches_it()
    {
        var id = "addr-" + Guid.NewGuid().ToString("N")[..8];
        var buyer = await api.ClientAs(id, "buyer");
        var path = $"/v1/buyers/{id}/addresses";

        foreach (var (body, field) in new[]
        {
            (Address(phone: "12345"), "phone"), (Address(recipient: new string('x', 51)), "recipient"), (Address(detail: " "), "detail"),
            (new { recipient = "A", phone = "13900001111", province = "P", city = "C", district = "D", detail = "X", regionCode = "12" }, "regionCode"),
        })
        {
            var problem = await Read(await AddAsync(buyer, id, body, "bad"), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }
        Assert.Empty((await Ok(buyer.GetAsync(path))).EnumerateArray());

        var first = await Read(await AddAsync(buyer, id, Address(), "k1"), HttpStatusCode.Created);
        Assert.True(first.GetProperty("isDefault").GetBoolean());
        // A retried request adds nothing; the same key for another address is a conflict.
        Assert.Equal(first.GetProperty("addressId").GetString(), (await Read(await AddAsync(buyer, id, Address(), "k1"), HttpStatusCode.Created)).GetProperty("addressId").GetString());
        await Read(await AddAsync(buyer, id, Address(recipient: "Other"), "k1"), HttpStatusCode.Conflict);
        var second = await Read(await AddAsync(buyer, id, Address(recipient: "Office", isDefault: true), "k2"), HttpStatusCode.Created);
        var secondId = second.GetProperty("addressId").GetString()!;
        var book = await Ok(buyer.GetAsync(path));
        Assert.Equal([false, true], book.EnumerateArray().Select(a => a.GetProperty("isDefault").GetBoolean()));

        // An update is validated like an add, and a refused one changes nothing.
        var refused = await Read(await buyer.PutAsJsonAsync($"{path}/{secondId}", Address(phone: "call me")), HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("phone", out _));
        var updated = await Ok(buyer.PutAsJsonAsync($"{path}/{secondId}", Address(recipient: "Office 2", phone: "0755-86001234")));
        Assert.Equal("0755-86001234", updated.GetProperty("address").GetProperty("phone").GetString());
        await Read(await buyer.PutAsJsonAsync($"{path}/a99", Address()), HttpStatusCode.NotFound);

        // Deleting the default makes the remaining one the default.
        Assert.Equal(HttpStatusCode.NoContent, (await buyer.DeleteAsync($"{path}/{secondId}")).StatusCode);
        Assert.True(Assert.Single((await Ok(buyer.GetAsync(path))).EnumerateArray()).GetProperty("isDefault").GetBoolean());
        await Read(await buyer.DeleteAsync($"{path}/{secondId}"), HttpStatusCode.NotFound);

        // Nobody else reads or changes it: another buyer, a merchant, a buyer-role token of the same id is fine, a merchant-role one is not.
        var stranger = await api.ClientAs(id + "-x", "buyer");
        await Read(await stranger.GetAsync(path), HttpStatusCode.Forbidden);
        await Read(await AddAsync(stranger, id, Address(), "s1"), HttpStatusCode.Forbidden);
        await Read(await stranger.DeleteAsync($"{path}/{first.GetProperty("addressId").GetString()}"), HttpStatusCode.Forbidden);
        var merchant = await api.ClientAs(id, "merchant");
        await Read(await merchant.GetAsync(path), HttpStatusCode.Forbidden);

        // Bounded: at most 20 addresses.
        for (var i = 1; i < AddressRules.MaxAddresses; i++) await Read(await AddAsync(buyer, id, Address(detail: "No. " + i), "fill" + i), HttpStatusCode.Created);
        var full = await Read(await AddAsync(buyer, id, Address(detail: "one too many"), "fill-last"), HttpStatusCode.Conflict);
        Assert.Equal("address.book_full", full.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_order_snapshots_the_named_or_default_address_and_only_virtual_goods_go_without_one()
    {
        var shop = await OpenAsync(api, stock: 20);
        var id = shop.Prefix + "-dave";
        var dave = await api.ClientAs(id, "buyer");
        await Ok(dave.PutAsJsonAsync($"/v1/buyers/{id}", new { city = "Shenzhen" }));

        // No address: a physical product is refused on addressId, and no stock is taken.
        var refused = await Read(await shop.PlaceAsync(dave, "no-address"), HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("addressId", out _), refused.ToString());
        var room = await Ok(shop.Streamer.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.Equal(20, room.GetProperty("shelf")[0].GetProperty("stockLeft").GetInt32());

        // A virtual product needs none.
        var coupon = shop.Prefix + "-coupon";
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{coupon}", new { name = "Gift card", category = "virtual/gift-card", listPrice = 10000 }));
        await shop.PublishOfferAsync(coupon);
        await Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{coupon}", new { livePrice = 9000, stock = 10, splitPlan = shop.SixLevelPlan() }));
        var virtualOrder = await Read(await shop.PlaceAsync(dave, "coupon", productId: coupon), HttpStatusCode.Created);
        Assert.Equal(JsonValueKind.Null, virtualOrder.GetProperty("shippingAddress").ValueKind);

        // The default, or the one named; later edits of the book do not reach an order already placed.
        var home = (await Read(await AddAsync(dave, id, Address(recipient: "Dave Home"), "home"), HttpStatusCode.Created)).GetProperty("addressId").GetString()!;
        var office = (await Read(await AddAsync(dave, id, Address(recipient: "Dave Office"), "office"), HttpStatusCode.Created)).GetProperty("addressId").GetString()!;
        var byDefault = await Read(await shop.PlaceAsync(dave, "default"), HttpStatusCode.Created);
        Assert.Equal("Dave Home", byDefault.GetProperty("shippingAddress").GetProperty("recipient").GetString());
        var named = new HttpRequestMessage(HttpMethod.Post, "/v1/orders")
        {
            Content = JsonContent.Create(new { roomId = shop.RoomId, productId = shop.ProductId, quantity = 1, addressId = office }),
        };
        named.Headers.Add("Idempotency-Key", "named");
        var namedOrder = await Read(await dave.SendAsync(named), HttpStatusCode.Created);
        Assert.Equal("Dave Office", namedOrder.GetProperty("shippingAddress").GetProperty("recipient").GetString());

        await Ok(dave.PutAsJsonAsync($"/v1/buyers/{id}/addresses/{home}", Address(recipient: "Dave Moved")));
        var reread = await Ok(dave.GetAsync($"/v1/orders/{byDefault.GetProperty("orderId").GetString()}"));
        Assert.Equal("Dave Home", reread.GetProperty("shippingAddress").GetProperty("recipient").GetString());

        // The next order follows the book: the edited default, then another default, then none at all (each order
        // is cancelled after, as a buyer holds at most two unpaid orders of a product).
        async Task Cancel(JsonElement order) => await Ok(dave.PostAsync($"/v1/orders/{order.GetProperty("orderId").GetString()}/cancel", null));
        await Cancel(byDefault);
        await Cancel(namedOrder);
        var afterEdit = await Read(await shop.PlaceAsync(dave, "after-edit"), HttpStatusCode.Created);
        Assert.Equal("Dave Moved", afterEdit.GetProperty("shippingAddress").GetProperty("recipient").GetString());
        await Cancel(afterEdit);
        await Ok(dave.PostAsync($"/v1/buyers/{id}/addresses/{office}/default", null));
        var afterSwitch = await Read(await shop.PlaceAsync(dave, "after-switch"), HttpStatusCode.Created);
        Assert.Equal("Dave Office", afterSwitch.GetProperty("shippingAddress").GetProperty("recipient").GetString());
        await Cancel(afterSwitch);
        Assert.Equal(HttpStatusCode.NoContent, (await dave.DeleteAsync($"/v1/buyers/{id}/addresses/{office}")).StatusCode);
        var afterDelete = await Read(await shop.PlaceAsync(dave, "after-delete"), HttpStatusCode.Created);
        Assert.Equal("Dave Moved", afterDelete.GetProperty("shippingAddress").GetProperty("recipient").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await dave.DeleteAsync($"/v1/buyers/{id}/addresses/{home}")).StatusCode);
        await Read(await shop.PlaceAsync(dave, "book-empty"), HttpStatusCode.BadRequest);

        var unknown = new HttpRequestMessage(HttpMethod.Post, "/v1/orders")
        {
            Content = JsonContent.Create(new { roomId = shop.RoomId, productId = shop.ProductId, quantity = 1, addressId = "a404" }),
        };
        unknown.Headers.Add("Idempotency-Key", "unknown-address");
        await Read(await dave.SendAsync(unknown), HttpStatusCode.NotFound);
    }
}
