using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Risk;
using LiveCommerce.Grains.Rooms;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// Issue 13, reproduction 8: one buyer reserved 9,900 of 20,000 units from 20 addresses in a second. The room caps the
/// unpaid orders a buyer holds (2 per product, 5 per room by default), in the turn that takes the stock.
/// </summary>
public sealed class HoardingTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private ShopScenario NewShop() => new(fixture.Client, platformAccountId: fixture.PlatformAccountId);

    private static Task<PlaceOrderResult> Place(ShopScenario shop, string buyer, string key, int address, string? productId = null, int quantity = 5) =>
        shop.Order(buyer, key).Place(new PlaceOrder(buyer, shop.RoomId, productId ?? shop.ProductId, quantity, key, $"203.0.113.{address}", null));

    private async Task<string> ListAnotherAsync(ShopScenario shop, string suffix)
    {
        var product = $"{shop.Prefix}-{suffix}";
        await fixture.Client.GetGrain<IProductGrain>(product).Create(shop.MerchantId, new CreateProduct("Item " + suffix, "beauty", 12000));
        await shop.PublishOfferFor(shop.DefaultPlan(), product);
        await shop.Room.ListProduct(shop.StreamerId, new ListProduct(product, 9900, 1000, null, 5));
        return product;
    }

    [Fact]
    public async Task One_buyer_from_many_addresses_holds_at_most_the_caps_and_a_rebuilt_room_still_enforces_them()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 1000, perOrderLimit: 5);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];

        // Twenty addresses, twenty orders of 5: two are placed, the rest refused before any stock is taken.
        var results = new List<PlaceOrderResult>();
        for (var i = 0; i < 20; i++) results.Add(await Place(shop, buyer, $"h{i}", i + 1));
        Assert.Equal(2, results.Count(r => r.Outcome == PlaceOutcome.Placed));
        Assert.All(results.Skip(2), r => Assert.Equal(PlaceOutcome.OpenOrderLimit, r.Outcome));
        Assert.Contains("2 unpaid order(s) for this product", results[^1].Message);
        var shelf = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((10, 990), (shelf.Reserved, shelf.StockLeft));

        // The room is rebuilt from its stock lines: the caps come back with the open orders.
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveRoomGrain), shop.RoomId);
        Assert.Equal(PlaceOutcome.OpenOrderLimit, (await Place(shop, buyer, "after-rebuild", 30)).Outcome);
        Assert.Equal(10, (await shop.Room.GetView()).Shelf.Single().Reserved);

        // Paying or cancelling an order frees its place.
        await shop.PayAsync(buyer, "h0");
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "after-pay", 31)).Outcome);
        Assert.Equal(PlaceOutcome.OpenOrderLimit, (await Place(shop, buyer, "over-again", 32)).Outcome);
        await shop.Order(buyer, "h1").Cancel(buyer);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "after-cancel", 33)).Outcome);

        // Five open orders in the room at most, whatever the products.
        var p2 = await ListAnotherAsync(shop, "p2");
        var p3 = await ListAnotherAsync(shop, "p3");
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "p2-a", 40, p2)).Outcome);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "p2-b", 41, p2)).Outcome);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "p3-a", 42, p3)).Outcome);
        var sixth = await Place(shop, buyer, "p3-b", 43, p3);
        Assert.Equal(PlaceOutcome.OpenOrderLimit, sixth.Outcome);
        Assert.Contains("5 unpaid order(s) in this room", sixth.Message);

        // Another buyer is not affected.
        var other = (await new ShopScenario(fixture.Client, shop.Prefix + "-x").RegisterBuyersAsync(1))[0];
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, other, "other", 50, p3)).Outcome);

        // Expired reservations free their places too, after a rebuild as well.
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveRoomGrain), shop.RoomId);
        fixture.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(6, await shop.Room.ExpireDueReservations());
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "after-expiry", 60, p3)).Outcome);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "after-expiry-2", 61, p3)).Outcome);
    }

    [Fact]
    public async Task A_buyer_burst_on_a_flash_sale_is_rejected()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 1000, perOrderLimit: 1, flashSale: true);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        Assert.True((await shop.Room.GetView()).Shelf.Single().FlashSale);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "f0", 1, quantity: 1)).Outcome);
        Assert.Equal(PlaceOutcome.Placed, (await Place(shop, buyer, "f1", 2, quantity: 1)).Outcome);
        Assert.Equal(PlaceOutcome.OpenOrderLimit, (await Place(shop, buyer, "f2", 3, quantity: 1)).Outcome);
        var fourth = await Place(shop, buyer, "f3", 4, quantity: 1);
        Assert.Equal(PlaceOutcome.RiskRejected, fourth.Outcome);
        Assert.Contains(fourth.Reasons, r => r.StartsWith(RiskRuleCatalog.FlashSaleBuyerBurst + ": 4 orders"));
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
    }
}

/// <summary>The hoarding cap as the front door answers it.</summary>
public sealed class HoardingHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_third_unpaid_order_for_a_product_is_a_409_problem_with_a_code_and_takes_no_stock()
    {
        var shop = await HttpShop.OpenAsync(api, stock: 10);
        var buyer = await shop.BuyerAsync("hoarder");
        await HttpShop.Read(await shop.PlaceAsync(buyer, "o1"), System.Net.HttpStatusCode.Created);
        await HttpShop.Read(await shop.PlaceAsync(buyer, "o2"), System.Net.HttpStatusCode.Created);
        var third = await HttpShop.Read(await shop.PlaceAsync(buyer, "o3"), System.Net.HttpStatusCode.Conflict);
        Assert.Equal("order.open_orders_limit", third.GetProperty("code").GetString());
        Assert.Contains("2 unpaid order(s) for this product", third.GetProperty("detail").GetString());
        var shelf = (await HttpShop.Ok(buyer.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("shelf")[0];
        Assert.Equal((8, 2), (shelf.GetProperty("stockLeft").GetInt32(), shelf.GetProperty("reserved").GetInt32()));
    }
}
