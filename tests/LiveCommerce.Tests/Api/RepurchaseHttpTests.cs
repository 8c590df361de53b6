using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

public sealed class RepurchaseHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_standing_authorization_buys_and_pays_every_period_within_its_cap_until_revoked()
    {
        var shop = await OpenAsync(api, stock: 50, livePrice: 2990);
        var buyer = await shop.BuyerAsync("hana");
        var plan = $"/v1/buyers/{shop.Prefix}-hana/repurchase-plans/{shop.ProductId}";
        var run = $"/v1/admin/repurchase-plans/{shop.Prefix}-hana/{shop.ProductId}/run";

        Assert.Equal(HttpStatusCode.BadRequest, (await buyer.PutAsJsonAsync(plan, new { roomId = shop.RoomId, quantity = 2, maxAmountPerOrder = 0, periodDays = 7 })).StatusCode);
        var other = await shop.BuyerAsync("ivan");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PutAsJsonAsync(plan, new { roomId = shop.RoomId, quantity = 2, maxAmountPerOrder = 7000, periodDays = 7 })).StatusCode);
        var granted = await Ok(buyer.PutAsJsonAsync(plan, new { roomId = shop.RoomId, quantity = 2, maxAmountPerOrder = 7000, periodDays = 7 }));
        Assert.True(granted.GetProperty("active").GetBoolean());

        // Not due yet: refused with when it is due, and nothing happens. The live session ends meanwhile: repeat orders
        // still buy from its shelf.
        var notDue = await Read(await shop.Admin.PostAsync(run, null), HttpStatusCode.Conflict);
        Assert.Equal("repurchase.not_due", notDue.GetProperty("code").GetString());
        Assert.Equal(granted.GetProperty("nextRunAt").GetDateTimeOffset(), DateTimeOffset.Parse(notDue.GetProperty("currentState").GetString()!));
        Assert.Equal(0, (await Ok(buyer.GetAsync(plan))).GetProperty("runs").GetArrayLength());
        await Ok(shop.Streamer.PostAsync($"/v1/rooms/{shop.RoomId}/end", null));
        api.Clock.Advance(TimeSpan.FromDays(7));
        var first = (await Ok(shop.Admin.PostAsync(run, null))).GetProperty("runs")[0];
        Assert.Equal("placed_and_paying", first.GetProperty("outcome").GetString());
        var orderId = first.GetProperty("orderId").GetString()!;
        Assert.Equal(5980, first.GetProperty("amount").GetInt64());
        await WaitPaid(buyer, orderId);

        // Running twice in the same period does not order twice: the next run is a period away.
        var again = await Read(await shop.Admin.PostAsync(run, null), HttpStatusCode.Conflict);
        Assert.Equal("repurchase.not_due", again.GetProperty("code").GetString());
        Assert.Single((await Ok(buyer.GetAsync(plan))).GetProperty("runs").EnumerateArray());

        // The price rises above the cap: the next period's order is cancelled, not paid.
        var ended = await Read(await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.ProductId}/price", new { livePrice = 3990 }), HttpStatusCode.Conflict);
        Assert.Equal("room.ended", ended.GetProperty("code").GetString());
        await Ok(buyer.PutAsJsonAsync(plan, new { roomId = shop.RoomId, quantity = 2, maxAmountPerOrder = 5000, periodDays = 7 }));
        api.Clock.Advance(TimeSpan.FromDays(7));
        var second = (await Ok(shop.Admin.PostAsync(run, null))).GetProperty("runs")[1];
        Assert.Equal("over_cap", second.GetProperty("outcome").GetString());
        var cancelled = await Ok(buyer.GetAsync($"/v1/orders/{second.GetProperty("orderId").GetString()}"));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());

        // Revoked: no more orders.
        Assert.False((await Ok(buyer.DeleteAsync(plan))).GetProperty("active").GetBoolean());
        api.Clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal("repurchase.revoked", (await Read(await shop.Admin.PostAsync(run, null), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.Equal(2, (await Ok(buyer.GetAsync(plan))).GetProperty("runs").GetArrayLength());
        var shelf = (await Ok(buyer.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("shelf")[0];
        Assert.Equal((48, 2), (shelf.GetProperty("stockLeft").GetInt32(), shelf.GetProperty("sold").GetInt32()));
    }

    private static async Task WaitPaid(HttpClient buyer, string orderId)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while ((await Ok(buyer.GetAsync($"/v1/orders/{orderId}"))).GetProperty("status").GetString() != "paid")
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException("repeat order was not paid");
            await Task.Delay(25);
        }
    }
}
