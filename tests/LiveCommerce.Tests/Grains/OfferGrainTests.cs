using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Offers;
using LiveCommerce.Grains.Rooms;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>Offers and rooms across reactivations: a stop is durable in the room, an offer's rooms in the offer.</summary>
public sealed class OfferGrainTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private ShopScenario NewShop(string? prefix = null) => new(fixture.Client, prefix, fixture.PlatformAccountId);

    [Fact]
    public async Task A_withdrawal_survives_the_reactivation_of_room_and_offer()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10);
        var buyers = await shop.RegisterBuyersAsync(2);
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyers[0])).Outcome);

        var offer = fixture.Client.GetGrain<IDistributionOfferGrain>(shop.ProductId);
        var withdrawn = await offer.Withdraw(shop.MerchantId);
        Assert.True(withdrawn.Rooms.Single().StopDelivered);
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveRoomGrain), shop.RoomId);
        await Activations.DeactivateAsync(fixture.Client, typeof(DistributionOfferGrain), shop.ProductId);

        Assert.Equal(PlaceOutcome.OfferWithdrawn, (await shop.PlaceAsync(buyers[1])).Outcome);
        Assert.False((await shop.Room.GetView()).Shelf.Single().Selling);
        var after = await offer.Get();
        Assert.Equal((OfferStatus.Withdrawn, shop.RoomId, false), (after.Status, after.Rooms.Single().RoomId, after.Rooms.Single().Selling));
        // The order placed before still pays under its plan.
        Assert.Equal(OrderStatus.Paid, (await shop.PayAsync(buyers[0])).Status);
        var refused = await Assert.ThrowsAsync<DomainException>(() => offer.Withdraw("someone-else"));
        Assert.Equal(ErrorKind.Forbidden, refused.Kind);
    }

    [Fact]
    public async Task Dropping_a_streamer_from_an_offer_stops_only_that_streamers_room()
    {
        var first = NewShop();
        await first.SetUpAsync(stock: 10);
        // A second streamer lists the same product in its own room.
        var second = NewShop(first.Prefix + "-2");
        await fixture.Client.GetGrain<IStreamerGrain>(second.StreamerId).CreateProfile(new CreateStreamerProfile("Second", "Hangzhou"));
        await second.Room.Open(second.StreamerId, new OpenRoom("Second room", "Hangzhou"));
        var offer = fixture.Client.GetGrain<IDistributionOfferGrain>(first.ProductId);
        var terms = await offer.Get();
        var refused = await Assert.ThrowsAsync<DomainException>(() => second.Room.ListProduct(second.StreamerId, new ListProduct(first.ProductId, 9900, 10, null, null)));
        Assert.Equal((ErrorKind.Forbidden, "offer.not_open"), (refused.Kind, refused.Code));

        await offer.Publish(first.MerchantId, new PublishOffer(terms.CommissionBasisPoints, terms.SellerFloorBasisPoints, false, [first.StreamerId, second.StreamerId]));
        var listed = await second.Room.ListProduct(second.StreamerId, new ListProduct(first.ProductId, 9900, 10, null, null));
        Assert.Equal(terms.CommissionBasisPoints, listed.SplitPlan.Shares.Single(s => s.AccountId == second.StreamerId).BasisPoints);
        await second.Room.StartLive(second.StreamerId);

        var view = await offer.Publish(first.MerchantId, new PublishOffer(terms.CommissionBasisPoints, terms.SellerFloorBasisPoints, false, [first.StreamerId]));
        Assert.Equal([(first.RoomId, true), (second.RoomId, false)], view.Rooms.OrderBy(r => r.RoomId == second.RoomId).Select(r => (r.RoomId, r.Selling)).ToList());
        var buyer = (await first.RegisterBuyersAsync(1))[0];
        Assert.Equal(PlaceOutcome.Placed, (await first.PlaceAsync(buyer, key: "in-first")).Outcome);
        var inSecond = await fixture.Client.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey(buyer, "in-second"))
            .Place(new PlaceOrder(buyer, second.RoomId, first.ProductId, 1, "in-second", "203.0.113.9", null));
        Assert.Equal(PlaceOutcome.OfferWithdrawn, inSecond.Outcome);
    }
}

/// <summary>Rooms refuse the offer's stops while <see cref="FailingStops.Fail"/> is set (a room on a silo that is down).</summary>
public sealed class FailingStopsFixture : PaymentsFixture
{
    protected override void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
        base.ConfigureServices(services);
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<IIncomingGrainCallFilter, FailingStops>(services);
    }
}

public sealed class FailingStops : IIncomingGrainCallFilter
{
    public static volatile bool Fail;

    public Task Invoke(IIncomingGrainCallContext context) =>
        Fail && context.InterfaceMethod?.Name == nameof(ILiveRoomGrain.StopOffer)
            ? throw new InvalidOperationException("room unavailable (test)")
            : context.Invoke();
}

public sealed class OfferStopRetryTests(FailingStopsFixture fixture) : IClassFixture<FailingStopsFixture>
{
    [Fact]
    public async Task A_stop_a_room_could_not_take_is_delivered_later_and_then_stops_new_orders()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 10);
        var buyers = await shop.RegisterBuyersAsync(2);
        var offer = fixture.Client.GetGrain<IDistributionOfferGrain>(shop.ProductId);
        FailingStops.Fail = true;
        try
        {
            var withdrawn = await offer.Withdraw(shop.MerchantId);
            Assert.Equal((OfferStatus.Withdrawn, false, false), (withdrawn.Status, withdrawn.Rooms.Single().Selling, withdrawn.Rooms.Single().StopDelivered));
        }
        finally
        {
            FailingStops.Fail = false;
        }
        // The offer retries on its own; once the room has the stop, it takes no new order.
        var deadline = Environment.TickCount64 + 20_000;
        while (!(await offer.Get()).Rooms.Single().StopDelivered)
        {
            Assert.True(Environment.TickCount64 < deadline, "the stop was not delivered again");
            await Task.Delay(200);
        }
        Assert.Equal(PlaceOutcome.OfferWithdrawn, (await shop.PlaceAsync(buyers[1])).Outcome);
    }
}
