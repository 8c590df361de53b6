using System.Collections.Concurrent;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Tests.Support;
using Orleans.Streams;

namespace LiveCommerce.Tests.Grains;

public sealed class DomainEventTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private async Task<ConcurrentQueue<DomainEvent>> SubscribeAsync(string ns, string key)
    {
        var received = new ConcurrentQueue<DomainEvent>();
        var stream = fixture.Client.GetStreamProvider(EventStreams.Provider).GetStream<DomainEvent>(StreamId.Create(ns, key));
        await stream.SubscribeAsync((e, _) => { received.Enqueue(e); return Task.CompletedTask; });
        return received;
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException("events did not arrive");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task Order_steps_and_viewer_joins_are_published_on_the_room_and_merchant_streams()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 5, livePrice: 2000);
        var room = await SubscribeAsync(EventStreams.Rooms, shop.RoomId);
        var merchant = await SubscribeAsync(EventStreams.Merchants, shop.MerchantId);
        var buyer = (await shop.RegisterBuyersAsync(1, city: "Chengdu"))[0];

        await shop.Room.Join(buyer);
        await shop.PlaceAsync(buyer, quantity: 2);
        await shop.PayAsync(buyer);

        await Eventually(() => room.OfType<OrderEvent>().Any(e => e.Kind == OrderEventKind.Paid) && merchant.OfType<OrderEvent>().Count() >= 2);
        var joined = room.OfType<ViewerJoined>().Single();
        Assert.Equal((buyer, "Chengdu", "Hangzhou", true), (joined.ViewerId, joined.ViewerCity, joined.RoomCity, joined.FirstVisit));
        var kinds = room.OfType<OrderEvent>().Select(e => e.Kind).ToList();
        Assert.Equal([OrderEventKind.Placed, OrderEventKind.Paid], kinds);
        var paid = room.OfType<OrderEvent>().Single(e => e.Kind == OrderEventKind.Paid);
        Assert.Equal((4000L, 2, "Chengdu", "beauty", 2400L), (paid.Amount, paid.Quantity, paid.BuyerCity, paid.Category, paid.ListPrice));
    }

    [Fact]
    public async Task The_buyers_address_reaches_the_merchant_stream_only()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 5, livePrice: 2000);
        var room = await SubscribeAsync(EventStreams.Rooms, shop.RoomId);
        var streamer = await SubscribeAsync(EventStreams.Streamers, shop.StreamerId);
        var merchant = await SubscribeAsync(EventStreams.Merchants, shop.MerchantId);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];

        await shop.Room.Join(buyer);
        await shop.PlaceAsync(buyer);
        await shop.PayAsync(buyer);

        await Eventually(() => new[] { room, streamer, merchant }.All(q => q.OfType<OrderEvent>().Count(e => e.OrderId == shop.Order(buyer, "k1").GetPrimaryKeyString()) == 2));
        Assert.All(merchant.OfType<OrderEvent>(), e => Assert.Equal("Hangzhou", e.ShippingAddress?.City));
        Assert.All(room.OfType<OrderEvent>().Concat(streamer.OfType<OrderEvent>()), e => Assert.Null(e.ShippingAddress));
    }

    [Fact]
    public async Task Likes_are_counted_in_memory_and_published_in_batches_not_one_event_each()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 5);
        var room = await SubscribeAsync(EventStreams.Rooms, shop.RoomId);
        var buyers = await shop.RegisterBuyersAsync(3);
        foreach (var b in buyers) await shop.Room.Join(b);

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => shop.Room.Like(buyers[i % 3], 1)));
        await shop.Room.Comment(buyers[0], "so cheap!");
        await shop.Room.Share(buyers[1]);
        var view = await shop.Room.GetView();
        Assert.Equal((300L, 1L, 1L), (view.Likes, view.Comments, view.Shares));

        // The flush (every 5 s by default) persists the counters and publishes one batch for all of them.
        await Eventually(() => room.OfType<RoomInteractions>().Sum(b => b.Likes) == 300);
        var batches = room.OfType<RoomInteractions>().ToList();
        Assert.True(batches.Count <= 3, $"{batches.Count} batches for 300 likes");
        Assert.True(batches.Sum(b => b.DistinctInteractors) >= 3);

        // Counters survive the room's deactivation (flushed on the way out).
        await fixture.Cluster.DeactivateAsync(shop.Room);
        Assert.Equal(300, (await shop.Room.GetView()).Likes);

        var notJoined = (await shop.RegisterBuyersAsync(4))[3];
        var error = await Assert.ThrowsAsync<DomainException>(() => shop.Room.Like(notJoined, 1));
        Assert.Equal("room.viewer_not_joined", error.Code);
    }
}
