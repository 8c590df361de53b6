using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

public sealed class CatalogueHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static HttpRequestMessage Edit(string productId, string? etag, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/products/{productId}") { Content = JsonContent.Create(body) };
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-Match", etag);
        return request;
    }

    [Fact]
    public async Task Without_a_token_every_catalogue_route_is_a_401_and_changes_nothing()
    {
        var shop = await OpenAsync(api);
        var anonymous = api.CreateClient();
        var before = await Ok(shop.Merchant.GetAsync($"/v1/products/{shop.ProductId}"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/products/{shop.ProductId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/merchants/{shop.MerchantId}/products")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Edit(shop.ProductId, null,
            new { name = "Stolen", category = "beauty", listPrice = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Edit(shop.Prefix + "-new", null,
            new { name = "Planted", category = "beauty", listPrice = 1 }))).StatusCode);
        Assert.Equal(before.ToString(), (await Ok(shop.Merchant.GetAsync($"/v1/products/{shop.ProductId}"))).ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Merchant.GetAsync($"/v1/products/{shop.Prefix}-new")).StatusCode);
    }

    [Fact]
    public async Task A_stale_edit_is_a_409_with_the_current_version_and_changes_nothing()
    {
        var merchantId = "cat-" + Guid.NewGuid().ToString("N")[..8];
        var merchant = await api.ClientAs(merchantId, "merchant");
        var productId = merchantId + "-p";
        var created = await merchant.SendAsync(Edit(productId, null, new { name = "Tea", category = "food", listPrice = 5000 }));
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        Assert.Equal(1, (await Read(created)).GetProperty("version").GetInt64());

        // Without If-Match an existing product is not overwritten.
        var exists = await Read(await merchant.SendAsync(Edit(productId, null, new { name = "Green tea", category = "food", listPrice = 5000 })), HttpStatusCode.Conflict);
        Assert.Equal("1", exists.GetProperty("currentState").GetString());

        var edited = await Read(await merchant.SendAsync(Edit(productId, "\"1\"",
            new { name = "Green tea", category = "food", listPrice = 6000, images = new[] { "https://img.example/tea.jpg" }, onSale = true })));
        Assert.Equal((2, "Green tea", 6000), (edited.GetProperty("version").GetInt64(), edited.GetProperty("name").GetString(), edited.GetProperty("listPrice").GetInt64()));
        // The list price change is a price observation: the history average moves.
        Assert.Equal((2, 5500), (edited.GetProperty("priceObservations").GetInt32(), edited.GetProperty("historicalAveragePrice").GetInt64()));

        // A second editor still holding version 1 loses, and nothing of its edit lands.
        var stale = await Read(await merchant.SendAsync(Edit(productId, "\"1\"", new { name = "Black tea", category = "food", listPrice = 1 })), HttpStatusCode.Conflict);
        Assert.Equal("product.version_mismatch", stale.GetProperty("code").GetString());
        Assert.Equal("2", stale.GetProperty("currentState").GetString());
        var now = await merchant.GetAsync($"/v1/products/{productId}");
        Assert.Equal("\"2\"", now.Headers.ETag?.Tag);
        Assert.Equal("Green tea", (await Read(now)).GetProperty("name").GetString());

        // Bad input names its field; another merchant cannot edit; a malformed If-Match is a 400.
        foreach (var (body, field) in new (object, string)[]
        {
            (new { name = "Tea", category = "food", listPrice = 0 }, "listPrice"),
            (new { name = "", category = "food", listPrice = 10 }, "name"),
            (new { name = "Tea", category = "food", listPrice = 10, images = new[] { "http://plain.example/x.jpg" } }, "images"),
            (new { name = "Tea", category = "food", listPrice = 10, images = Enumerable.Repeat("https://i.example/x.jpg", 10).ToArray() }, "images"),
        })
        {
            var problem = await Read(await merchant.SendAsync(Edit(productId, "\"2\"", body)), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }
        await Read(await merchant.SendAsync(Edit(productId, "W/\"2\"", new { name = "Tea", category = "food", listPrice = 10 })), HttpStatusCode.BadRequest);
        var other = await api.ClientAs(merchantId + "-x", "merchant");
        await Read(await other.SendAsync(Edit(productId, "\"2\"", new { name = "Mine", category = "food", listPrice = 10 })), HttpStatusCode.Forbidden);
        Assert.Equal(2, (await Ok(merchant.GetAsync($"/v1/products/{productId}"))).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_merchant_pages_through_its_own_catalogue_and_an_off_sale_product_cannot_be_listed()
    {
        var shop = await OpenAsync(api);
        for (var i = 0; i < 5; i++)
            await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{shop.Prefix}-q{i}", new { name = "Item " + i, category = "home", listPrice = 1000 + i }));

        var first = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/products?limit=4"));
        var second = await Ok(shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/products?offset=4&limit=4"));
        Assert.Equal(6, first.GetProperty("total").GetInt32());
        var ids = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(p => p.GetProperty("productId").GetString()!).ToList();
        Assert.Equal([.. new[] { shop.ProductId }.Concat(Enumerable.Range(0, 5).Select(i => $"{shop.Prefix}-q{i}")).Order(StringComparer.Ordinal)], ids);
        await Read(await shop.Merchant.GetAsync($"/v1/merchants/{shop.MerchantId}/products?limit=101"), HttpStatusCode.BadRequest);
        await Read(await shop.Streamer.GetAsync($"/v1/merchants/{shop.MerchantId}/products"), HttpStatusCode.Forbidden);

        var q0 = $"{shop.Prefix}-q0";
        await Ok(shop.Merchant.SendAsync(Edit(q0, "\"1\"", new { name = "Item 0", category = "home", listPrice = 1000, onSale = false })));
        await shop.PublishOfferAsync(q0);
        var refused = await Read(await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{q0}", new { livePrice = 900, stock = 5, splitPlan = shop.SixLevelPlan() }),
            HttpStatusCode.Conflict);
        Assert.Equal("product.off_sale", refused.GetProperty("code").GetString());
    }
}
