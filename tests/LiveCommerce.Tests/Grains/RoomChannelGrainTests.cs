using LiveCommerce.Api.Rooms;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Tests.Grains;

/// <summary>The room channel on a two-silo cluster, with front-door feeds as its observers.</summary>
public sealed class RoomChannelGrainTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private RoomFeeds FrontDoor() => new(fixture.Client, Options.Create(new RoomFeedOptions()), NullLogger<RoomFeeds>.Instance);

    /// <summary>The next tick that has a delta matching <paramref name="match"/>, skipping others.</summary>
    private static async Task<T> NextAsync<T>(ViewerConnection viewer, Func<T, bool> match) where T : RoomDelta
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            var tick = (await viewer.Ticks.ReadAsync(timeout.Token)).Tick;
            if (tick.Deltas.OfType<T>().FirstOrDefault(match) is { } delta) return delta;
        }
    }

    /// <summary>
    /// Waits for a tick telling <paramref name="left"/> units of the product: a stock delta, or the same fact in a reset
    /// (shelfAdded carries every field of the item); returns the room sequence it carried.
    /// </summary>
    private static async Task<long> NextStockAsync(ViewerConnection viewer, string productId, int left)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            foreach (var d in (await viewer.Ticks.ReadAsync(timeout.Token)).Tick.Deltas)
            {
                if (d is StockChanged s && s.ProductId == productId && s.StockLeft == left) return s.RoomSequence;
                if (d is ShelfItemAdded a && a.Item.ProductId == productId && a.Item.StockLeft == left) return a.RoomSequence;
            }
        }
    }

    [Fact]
    public async Task One_publication_reaches_the_viewers_of_two_front_doors_and_a_new_viewer_gets_it_in_the_snapshot()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 100);
        using var doorA = FrontDoor();
        using var doorB = FrontDoor();
        var a1 = doorA.Connect(shop.RoomId)!;
        var a2 = doorA.Connect(shop.RoomId)!;
        var b1 = doorB.Connect(shop.RoomId)!;
        await Task.WhenAll(a1.Feed.Subscribed, b1.Feed.Subscribed).WaitAsync(Wait);
        Assert.Same(a1.Feed, a2.Feed); // one subscription per room per front door

        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyer, quantity: 3)).Outcome);

        foreach (var viewer in new[] { a1, a2, b1 })
        {
            Assert.True(await NextStockAsync(viewer, shop.ProductId, 97) > 0);
        }
        Assert.True(Interlocked.Read(ref a1.Feed.TicksReceived) > 0 && Interlocked.Read(ref b1.Feed.TicksReceived) > 0);

        var snapshot = await fixture.Client.GetGrain<IRoomChannelGrain>(shop.RoomId).GetSnapshot();
        Assert.Equal(97, snapshot.Shelf.Single(i => i.ProductId == shop.ProductId).StockLeft);
        Assert.Equal(RoomStatus.Live, snapshot.Status);
    }

    [Fact]
    public async Task Pin_price_and_the_end_of_the_room_reach_viewers_and_a_resume_replays_what_was_missed()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 10);
        var channel = fixture.Client.GetGrain<IRoomChannelGrain>(shop.RoomId);
        using var door = FrontDoor();
        var viewer = door.Connect(shop.RoomId)!;
        await viewer.Feed.Subscribed.WaitAsync(Wait);
        var before = await channel.GetSnapshot();

        await shop.Room.Pin(shop.StreamerId, shop.ProductId);
        Assert.Equal(shop.ProductId, (await NextAsync<PinnedChanged>(viewer, p => p.ProductId is not null)).ProductId);
        await shop.Room.ChangePrice(shop.StreamerId, shop.ProductId, 8800);
        Assert.Equal(8800, (await NextAsync<PriceChanged>(viewer, p => p.LivePrice == 8800)).LivePrice);

        // A viewer that had the snapshot from before gets exactly the ticks since, in order.
        var resume = await channel.GetSince(before.Sequence);
        Assert.Null(resume.Snapshot);
        Assert.Equal(Enumerable.Range(1, resume.Ticks!.Count).Select(i => before.Sequence + i), resume.Ticks.Select(t => t.Sequence));
        Assert.Contains(resume.Ticks.SelectMany(t => t.Deltas), d => d is PriceChanged { LivePrice: 8800 });
        // One from far before (another activation's id, or long gone) gets a fresh snapshot.
        var old = await channel.GetSince(before.Sequence - 1_000_000);
        Assert.Equal(8800, old.Snapshot!.Shelf.Single().LivePrice);
        Assert.Equal(shop.ProductId, old.Snapshot.PinnedProductId);

        await shop.Room.EndLive(shop.StreamerId);
        Assert.Equal(RoomStatus.Ended, (await NextAsync<StatusChanged>(viewer, s => s.Status == RoomStatus.Ended)).Status);
    }

    [Fact]
    public async Task A_channel_that_lost_its_state_gets_the_room_again_and_viewers_resume_from_a_snapshot()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 50);
        var channel = fixture.Client.GetGrain<IRoomChannelGrain>(shop.RoomId);
        var first = await channel.GetSnapshot();
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyer, quantity: 2)).Outcome);

        // The channel's activation goes away (as on a silo restart); the next one asks the room for a reset.
        // Both activations go (the room's too: it rebuilds its stock from its lines).
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Rooms.Channel.RoomChannelGrain), shop.RoomId);

        // The old channel's sequence is unknown to the new activation: the viewer gets a fresh snapshot, with the room's stock.
        var resume = await channel.GetSince(first.Sequence);
        var snapshot = Assert.IsType<RoomChannelSnapshot>(resume.Snapshot);
        Assert.True(snapshot.Sequence > first.Sequence);
        Assert.Equal(48, snapshot.Shelf.Single().StockLeft);
        Assert.Equal(RoomStatus.Live, snapshot.Status);
    }

    [Fact]
    public async Task A_front_door_resubscribes_to_a_channel_that_moved_and_its_viewers_get_the_room_again()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 40);
        using var door = new RoomFeeds(fixture.Client, Options.Create(new RoomFeedOptions { Refresh = TimeSpan.FromMilliseconds(300) }),
            NullLogger<RoomFeeds>.Instance);
        var viewer = door.Connect(shop.RoomId)!;
        await viewer.Feed.Subscribed.WaitAsync(Wait);
        await shop.Room.AddStock(shop.StreamerId, shop.ProductId, 1);
        await NextStockAsync(viewer, shop.ProductId, 41);
        var before = (await fixture.Client.GetGrain<IRoomChannelGrain>(shop.RoomId).GetSnapshot()).Sequence;

        // The channel's activation goes (as with its silo): it comes back without subscribers; the renewal re-adds this front door.
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Rooms.Channel.RoomChannelGrain), shop.RoomId);
        using var timeout = new CancellationTokenSource(Wait);
        var stock = 41;
        int? seen = null;
        while (seen != stock)
        {
            await shop.Room.AddStock(shop.StreamerId, shop.ProductId, 1);
            stock++;
            using var slice = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            slice.CancelAfter(TimeSpan.FromSeconds(1));
            try { await viewer.Ticks.WaitToReadAsync(slice.Token); }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested) { continue; }
            while (viewer.Ticks.TryRead(out var tick))
            {
                if (tick.Sequence <= before) continue; // the old activation's
                foreach (var d in tick.Tick.Deltas)
                    seen = d switch { StockChanged s => s.StockLeft, ShelfItemAdded a => a.Item.StockLeft, _ => seen };
            }
        }
    }
}
