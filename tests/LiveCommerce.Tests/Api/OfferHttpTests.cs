using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>Merchant distribution offers through HTTP: consent to a listing, the derived split, withdrawal.</summary>
public sealed class OfferHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var body = await Read(response, status);
        if (code is not null) Assert.Equal(code, body.GetProperty("code").GetString());
        return body;
    }

    private static Task<HttpResponseMessage> Shelve(HttpShop shop, string productId, object? splitPlan = null, long livePrice = 10000) =>
        shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{productId}", new { livePrice, stock = 10, splitPlan });

    [Fact]
    public async Task A_streamer_cannot_list_another_merchants_product_without_an_offer_open_to_it_nor_set_its_split()
    {
        var shop = await OpenAsync(api);
        var product = shop.Prefix + "-other";
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{product}", new { name = "Serum", category = "beauty", listPrice = 12000 }));

        // Issue 13's reproduction: no offer, and a plan that gives the merchant nothing.
        var attack = new { shares = new object[] {
            new { role = "seller", accountId = shop.MerchantId, basisPoints = 0 },
            new { role = "streamer", accountId = shop.StreamerId, basisPoints = 9900 },
            new { role = "platform", accountId = "platform", basisPoints = 100 } } };
        await Problem(await Shelve(shop, product, attack), HttpStatusCode.Conflict, "offer.none");
        await Problem(await Shelve(shop, product), HttpStatusCode.Conflict, "offer.none");

        // An offer for other streamers only.
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 2000, sellerFloorBasisPoints = 7000, streamerIds = new[] { "someone-else" } }));
        await Problem(await Shelve(shop, product), HttpStatusCode.Forbidden, "offer.not_open");

        // Open to this streamer: the attack plan is still refused, the seller share is the offer's.
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 2000, sellerFloorBasisPoints = 7000, openToAll = true }));
        var refused = await Problem(await Shelve(shop, product, attack), HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("splitPlan", out _), refused.ToString());

        // Nothing was listed by the refusals.
        var room = await Ok(shop.Streamer.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.DoesNotContain(room.GetProperty("shelf").EnumerateArray(), i => i.GetProperty("productId").GetString() == product);

        // Only the product's merchant publishes offers for it: not another merchant, a streamer, or an admin.
        var rival = await api.ClientAs(shop.Prefix + "-rival", "merchant");
        await Problem(await rival.PutAsJsonAsync($"/v1/merchants/{shop.Prefix}-rival/offers/{product}",
            new { commissionBasisPoints = 9000, sellerFloorBasisPoints = 0, openToAll = true }), HttpStatusCode.Forbidden);
        await Problem(await rival.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 9000, sellerFloorBasisPoints = 0, openToAll = true }), HttpStatusCode.Forbidden);
        await Problem(await shop.Streamer.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 9000, sellerFloorBasisPoints = 0, openToAll = true }), HttpStatusCode.Forbidden);
        await Problem(await shop.Admin.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 9000, sellerFloorBasisPoints = 0, openToAll = true }), HttpStatusCode.Forbidden);
        await Problem(await rival.DeleteAsync($"/v1/merchants/{shop.Prefix}-rival/offers/{product}"), HttpStatusCode.Forbidden);
        // No token: 401 before anything runs.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 9000, sellerFloorBasisPoints = 0, openToAll = true })).StatusCode);
        // Terms the seller's floor cannot survive are refused when published.
        await Problem(await shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 3000, sellerFloorBasisPoints = 7000, openToAll = true }), HttpStatusCode.BadRequest);
        var offer = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}"));
        Assert.Equal((2000, 7000), (offer.GetProperty("commissionBasisPoints").GetInt32(), offer.GetProperty("sellerFloorBasisPoints").GetInt32()));
    }

    [Fact]
    public async Task A_sale_under_an_offer_pays_the_merchant_at_least_its_floor_and_the_merchant_sees_the_rooms()
    {
        var shop = await OpenAsync(api);
        var product = shop.Prefix + "-cream";
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{product}", new { name = "Cream", category = "beauty", listPrice = 12000 }));
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{product}",
            new { commissionBasisPoints = 2000, sellerFloorBasisPoints = 7000, openToAll = true }));
        var terms = await Ok(shop.Streamer.GetAsync($"/v1/products/{product}/offer"));
        Assert.True(terms.GetProperty("openToMe").GetBoolean());

        // The streamer divides the commission with a distributor; the seller share is derived, never chosen.
        var listed = await Ok(Shelve(shop, product, new { shares = new object[] {
            new { role = "streamer", accountId = shop.StreamerId, basisPoints = 1500 },
            new { role = "distributor", accountId = shop.Prefix + "-d1", basisPoints = 500, level = 1 } } }));
        var plan = listed.GetProperty("splitPlan").GetProperty("shares").EnumerateArray()
            .ToDictionary(s => s.GetProperty("role").GetString()!, s => s.GetProperty("basisPoints").GetInt32());
        Assert.Equal(7500, plan["seller"]);
        Assert.Equal(500, plan["platform"]);

        var buyer = await shop.BuyerAsync("fan");
        var placed = await Read(await shop.PlaceAsync(buyer, "cream-1", productId: product), HttpStatusCode.Created);
        var paid = await shop.PayAsync(buyer, placed.GetProperty("orderId").GetString()!);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        var merchant = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.True(merchant.GetProperty("pending").GetInt64() >= 10000 * 7000 / 10000);
        Assert.Equal(7500, merchant.GetProperty("pending").GetInt64());
        Assert.Equal(1500, (await Ok(shop.Admin.GetAsync($"/v1/accounts/{shop.StreamerId}"))).GetProperty("pending").GetInt64());

        // The merchant lists its offers with the rooms that sell them.
        var offers = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/offers"));
        Assert.Equal(2, offers.GetProperty("total").GetInt32()); // the shop's own product and this one
        var mine = offers.GetProperty("items").EnumerateArray().Single(o => o.GetProperty("productId").GetString() == product);
        var room = mine.GetProperty("rooms").EnumerateArray().Single();
        Assert.Equal((shop.RoomId, shop.StreamerId, true), (room.GetProperty("roomId").GetString(), room.GetProperty("streamerId").GetString(), room.GetProperty("selling").GetBoolean()));
        await Problem(await shop.Streamer.GetAsync($"/v1/merchants/{shop.MerchantId}/offers"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await shop.Admin.GetAsync($"/v1/merchants/{shop.MerchantId}/offers")).StatusCode);
    }

    [Fact]
    public async Task Withdrawing_an_offer_stops_new_orders_in_every_room_and_placed_orders_keep_their_plan()
    {
        var shop = await OpenAsync(api, stock: 20, livePrice: 10000);
        var alice = await shop.BuyerAsync("alice");
        var bob = await shop.BuyerAsync("bob");
        var before = await Read(await shop.PlaceAsync(alice, "before"), HttpStatusCode.Created);

        var withdrawn = await Ok(shop.Merchant.DeleteAsync($"/v1/merchants/{shop.MerchantId}/offers/{shop.ProductId}"));
        Assert.Equal("withdrawn", withdrawn.GetProperty("status").GetString());
        var room = withdrawn.GetProperty("rooms").EnumerateArray().Single();
        Assert.False(room.GetProperty("selling").GetBoolean());
        Assert.True(room.GetProperty("stopDelivered").GetBoolean());

        await Problem(await shop.PlaceAsync(bob, "after"), HttpStatusCode.Conflict, "offer.withdrawn");
        var shelf = (await Ok(bob.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("shelf")[0];
        Assert.False(shelf.GetProperty("selling").GetBoolean());
        // A streamer cannot put it back while the offer is withdrawn.
        await Problem(await Shelve(shop, shop.ProductId, livePrice: 9900), HttpStatusCode.Conflict, "offer.withdrawn");

        // The order placed before is paid under the plan it was placed with.
        var paid = await shop.PayAsync(alice, before.GetProperty("orderId").GetString()!);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(5000, (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"))).GetProperty("pending").GetInt64());

        // Published again with new terms, the streamer lists it again under them and it sells.
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{shop.ProductId}",
            new { commissionBasisPoints = 1000, sellerFloorBasisPoints = 8500, streamerIds = new[] { shop.StreamerId } }));
        await Problem(await shop.PlaceAsync(bob, "still-stopped"), HttpStatusCode.Conflict, "offer.withdrawn");
        var relisted = await Ok(Shelve(shop, shop.ProductId, livePrice: 9900));
        Assert.True(relisted.GetProperty("selling").GetBoolean());
        Assert.Equal(19, relisted.GetProperty("stockLeft").GetInt32()); // units listed and sold stay
        await Read(await shop.PlaceAsync(bob, "relisted"), HttpStatusCode.Created);

        // Changing the terms again stops the listing made under the old ones.
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/offers/{shop.ProductId}",
            new { commissionBasisPoints = 500, sellerFloorBasisPoints = 9000, streamerIds = new[] { shop.StreamerId } }));
        await Problem(await shop.PlaceAsync(bob, "terms-changed"), HttpStatusCode.Conflict, "offer.withdrawn");
    }
}
