using LiveCommerce.Api.Rooms;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// The room channel across two front doors on two different hosts: one an external cluster client connected through
/// a gateway (the postgres profile's front door), one co-hosted in a silo (the embedded profile's), each with its own
/// observer; and the silo holding the channel killed mid-stream on a three-silo cluster whose state is kept outside
/// the silos. Viewers are modelled as a browser is: they apply a snapshot, then deltas whose event ids must be
/// consecutive, and on a jump ask for what they missed (the SSE endpoint's resume).
/// </summary>
public sealed class RoomChannelFailoverTests(DurableClusterFixture fixture) : IClassFixture<DurableClusterFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static RoomFeeds FrontDoor(IGrainFactory client) =>
        new(client, Options.Create(new RoomFeedOptions { Refresh = TimeSpan.FromMilliseconds(300) }), NullLogger<RoomFeeds>.Instance);

    /// <summary>What a viewer's screen shows, built only from what its connection and a resume gave it.</summary>
    private sealed class Screen(ViewerConnection connection)
    {
        public long Last { get; private set; }
        public int Stock { get; private set; } = -1;
        public long Likes { get; private set; } = -1;
        public int Snapshots { get; private set; }
        public int Jumps { get; private set; }

        public async Task StartAsync() => Apply(await connection.Feed.SnapshotAsync());

        private void Apply(RoomChannelSnapshot snapshot)
        {
            Snapshots++;
            Last = snapshot.Sequence;
            Stock = snapshot.Shelf.Single().StockLeft;
            Likes = snapshot.Counts.Likes;
        }

        private void Apply(RoomChannelTick tick)
        {
            Last = tick.Sequence;
            foreach (var delta in tick.Deltas)
            {
                switch (delta)
                {
                    case StockChanged s: Stock = s.StockLeft; break;
                    case ShelfItemAdded a: Stock = a.Item.StockLeft; break;
                    case CountsChanged c: Likes = c.Counts.Likes; break;
                }
            }
        }

        /// <summary>Reads what has arrived until <paramref name="done"/> holds; a tick that does not follow the last one is a resume from Last.</summary>
        public async Task UntilAsync(Func<Screen, bool> done, CancellationToken cancel)
        {
            while (!done(this))
            {
                var tick = (await connection.Ticks.ReadAsync(cancel)).Tick;
                if (tick.Sequence <= Last) continue;
                if (tick.Sequence != Last + 1)
                {
                    Jumps++;
                    var catchUp = await connection.Feed.CatchUpAsync(Last);
                    if (catchUp.Snapshot is { } fresh) Apply(fresh);
                    else foreach (var missed in catchUp.Ticks!) if (missed.Sequence > Last) Apply(missed);
                    if (tick.Sequence <= Last) continue;
                    // Still a jump: the tick is from a newer activation than the catch-up; resume again from it next round.
                    if (tick.Sequence != Last + 1) { Jumps++; Apply(await connection.Feed.SnapshotAsync()); continue; }
                }
                Apply(tick);
            }
        }
    }

    private async Task<SiloAddress> SiloOfAsync(IAddressable grain)
    {
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var id = grain.GetGrainId();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if ((await management.GetDetailedGrainStatistics()).FirstOrDefault(s => s.GrainId.Equals(id)) is { } found) return found.SiloAddress;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"{id} is not active.");
    }

    [Fact]
    public async Task A_tick_published_once_reaches_two_front_doors_and_after_the_channels_silo_is_killed_both_resume_with_the_right_stock_and_likes()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 100);
        var liker = (await shop.RegisterBuyersAsync(1))[0];
        await shop.Room.Join(liker);
        using var doorA = FrontDoor(fixture.Client);
        // Silo 0 is never the one killed below.
        using var doorB = FrontDoor(fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>());
        var a = doorA.Connect(shop.RoomId)!;
        var b = doorB.Connect(shop.RoomId)!;
        await Task.WhenAll(a.Feed.Subscribed, b.Feed.Subscribed).WaitAsync(Wait);
        var screens = new[] { new Screen(a), new Screen(b) };
        foreach (var screen in screens) await screen.StartAsync();
        using var cancel = new CancellationTokenSource(Wait);

        // Published once by the channel, received by both front doors (one observer call each), same tick on both.
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(liker, quantity: 3)).Outcome);
        await shop.Room.Like(liker, 5);
        foreach (var screen in screens) await screen.UntilAsync(s => s.Stock == 97 && s.Likes == 5, cancel.Token);
        Assert.Equal(screens[0].Last, screens[1].Last);
        Assert.Equal(0, screens[0].Jumps + screens[1].Jumps);
        Assert.True(Interlocked.Read(ref a.Feed.TicksReceived) > 0 && Interlocked.Read(ref b.Feed.TicksReceived) > 0);

        // Put the channel on a silo that has neither the room nor the test's own client gateway, then kill that silo mid-stream.
        var roomSilo = await SiloOfAsync(shop.Room);
        var channel = fixture.Client.GetGrain<IRoomChannelGrain>(shop.RoomId);
        var victim = fixture.Cluster.Silos.Skip(1).First(s => s.IsActive && !s.SiloAddress.Equals(roomSilo));
        if (!(await SiloOfAsync(channel)).Equals(victim.SiloAddress))
        {
            await fixture.Cluster.MigrateAsync(channel, victim.SiloAddress);
            await channel.GetSnapshot();
        }
        Assert.Equal(victim.SiloAddress, await SiloOfAsync(channel));
        await fixture.Cluster.KillSiloAsync(victim);

        // The room keeps changing while the cluster notices; calls may fail until the silo is declared dead.
        using var changes = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var changing = Task.Run(async () =>
        {
            while (!changes.IsCancellationRequested)
            {
                try
                {
                    await shop.Room.AddStock(shop.StreamerId, shop.ProductId, 1);
                    await shop.Room.Like(liker, 1);
                }
                catch (Exception) when (!changes.IsCancellationRequested) { }
                await Task.Delay(200).ConfigureAwait(false);
            }
        });
        // The channel's new activation, on a surviving silo; both screens must come to show its ticks.
        RoomChannelSnapshot? fresh = null;
        while (fresh is null)
        {
            try { fresh = await channel.GetSnapshot().WaitAsync(TimeSpan.FromSeconds(5), cancel.Token); }
            catch (Exception) when (!cancel.IsCancellationRequested) { await Task.Delay(200, cancel.Token); }
        }
        foreach (var screen in screens) await screen.UntilAsync(s => s.Last > fresh.Sequence, cancel.Token);
        changes.Cancel();
        await changing;

        // Quiet now: one more change, after the last like was counted; both screens end on exactly the room's stock and likes.
        var expectedStock = (await shop.Room.AddStock(shop.StreamerId, shop.ProductId, 1)).StockLeft;
        var likes = (await shop.Room.GetView()).Likes;
        Assert.True(expectedStock > 97 && likes > 5);
        foreach (var screen in screens) await screen.UntilAsync(s => s.Stock == expectedStock && s.Likes == likes, cancel.Token);
        Assert.All(screens, s => Assert.True(s.Snapshots >= 2, "the resume after the restart is a fresh snapshot (the old ids belong to the dead activation)"));
        Assert.NotEqual(victim.SiloAddress, await SiloOfAsync(channel));
        Assert.False(a.Evicted || b.Evicted);
    }
}
