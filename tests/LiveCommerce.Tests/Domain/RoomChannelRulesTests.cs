using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Rooms.Channel;

namespace LiveCommerce.Tests.Domain;

/// <summary>The channel's aggregation, sampling and replay rules, without a silo.</summary>
public sealed class RoomChannelRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    /// <summary>A room stand-in whose values the test sets.</summary>
    private sealed class FakeRoom : IRoomChannelSource
    {
        public Dictionary<string, ChannelShelfItem> Shelf { get; } = [];
        public ChannelCounts CurrentCounts { get; set; } = new(0, 0, 0, 0);
        public RoomStatus Status { get; set; } = RoomStatus.Live;
        public string? PinnedProductId { get; set; }
        public ChannelShelfItem? ShelfItem(string productId) => Shelf.GetValueOrDefault(productId);
        public ChannelCounts Counts() => CurrentCounts;
        public RoomChannelSnapshot Snapshot(long roomSequence) =>
            new("r1", 0, Status, "Title", Shelf.Values.ToList(), CurrentCounts, PinnedProductId, [], roomSequence);
    }

    private static (RoomChannelOutbox Outbox, FakeRoom Room) Started(int commentsPerSecond = 5)
    {
        var room = new FakeRoom();
        room.Shelf["p1"] = new ChannelShelfItem("p1", "Lipstick", 9900, 12000, 100, true);
        room.Shelf["p2"] = new ChannelShelfItem("p2", "Mug", 3000, 4000, 50, true);
        var outbox = new RoomChannelOutbox(commentsPerSecond, tickersPerTick: 3);
        Assert.NotNull(outbox.Drain("r1", room, T0)!.Reset); // the first batch of an activation is a reset
        return (outbox, room);
    }

    [Fact]
    public void Nothing_changed_means_no_batch()
    {
        var (outbox, room) = Started();
        Assert.Null(outbox.Drain("r1", room, T0));
    }

    [Fact]
    public void Counts_are_merged_into_their_latest_values_once_per_tick()
    {
        var (outbox, room) = Started();
        for (var i = 1; i <= 1000; i++)
        {
            room.CurrentCounts = new ChannelCounts(7, i, 0, 0);
            outbox.CountsChanged();
        }
        var batch = outbox.Drain("r1", room, T0)!;
        var counts = Assert.Single(batch.Deltas.OfType<CountsChanged>());
        Assert.Equal(new ChannelCounts(7, 1000, 0, 0), counts.Counts);
    }

    [Fact]
    public void Stock_and_price_are_never_dropped_under_a_comment_flood_and_carry_the_room_sequence()
    {
        var (outbox, room) = Started(commentsPerSecond: 5);
        for (var i = 0; i < 500; i++) outbox.Comment(new ChannelComment("viewer-1", "hi " + i, T0), T0);
        room.Shelf["p1"] = room.Shelf["p1"] with { StockLeft = 97 };
        outbox.StockChanged("p1");
        room.Shelf["p2"] = room.Shelf["p2"] with { LivePrice = 2500 };
        outbox.PriceChanged("p2");
        var batch = outbox.Drain("r1", room, T0)!;
        Assert.Equal(5, batch.Deltas.OfType<CommentPosted>().Count());
        var stock = Assert.Single(batch.Deltas.OfType<StockChanged>());
        Assert.Equal(("p1", 97, batch.RoomSequence), (stock.ProductId, stock.StockLeft, stock.RoomSequence));
        var price = Assert.Single(batch.Deltas.OfType<PriceChanged>());
        Assert.Equal(("p2", 2500L, batch.RoomSequence), (price.ProductId, price.LivePrice, price.RoomSequence));
    }

    [Fact]
    public void Several_reservations_in_a_tick_become_one_delta_with_the_stock_after_all_of_them()
    {
        var (outbox, room) = Started();
        for (var left = 99; left >= 90; left--)
        {
            room.Shelf["p1"] = room.Shelf["p1"] with { StockLeft = left };
            outbox.StockChanged("p1");
        }
        var stock = Assert.Single(outbox.Drain("r1", room, T0)!.Deltas.OfType<StockChanged>());
        Assert.Equal(90, stock.StockLeft);
        Assert.False(stock.SoldOut);
    }

    [Fact]
    public void Comments_are_sampled_per_second_and_the_budget_returns_the_next_second()
    {
        var sampler = new CommentSampler(3);
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => sampler.TryAdmit(T0)));
        Assert.Equal(0, Enumerable.Range(0, 10).Count(_ => sampler.TryAdmit(T0.AddMilliseconds(999))));
        Assert.True(sampler.TryAdmit(T0.AddSeconds(1)));
    }

    [Fact]
    public void Room_sequences_are_contiguous_and_a_new_activation_starts_above_the_old_one()
    {
        var (first, room) = Started();
        first.CountsChanged();
        var a = first.Drain("r1", room, T0)!;
        first.CountsChanged();
        var b = first.Drain("r1", room, T0)!;
        Assert.Equal(a.RoomSequence + 1, b.RoomSequence);
        Thread.Sleep(2); // a new activation a moment later
        var second = new RoomChannelOutbox(5, 3);
        Assert.True(second.Drain("r1", room, T0)!.RoomSequence > b.RoomSequence);
    }

    [Fact]
    public void Order_tickers_carry_no_buyer_and_are_bounded_per_tick()
    {
        var (outbox, room) = Started();
        for (var i = 0; i < 10; i++) outbox.Sold("p1", "Lipstick", 2, T0);
        var tickers = outbox.Drain("r1", room, T0)!.Deltas.OfType<OrderTicker>().ToList();
        Assert.Equal(3, tickers.Count);
        Assert.All(tickers, t => Assert.Equal(new OrderTicker("p1", "Lipstick", 2, T0), t));
    }

    [Fact]
    public void Commenters_are_shown_under_a_per_room_handle_that_never_contains_the_buyer_id()
    {
        var handle = CommentAuthors.Handle("r1", "b-42");
        Assert.Matches("^viewer-[0-9a-f]{6}$", handle);
        Assert.DoesNotContain("b-42", handle);
        Assert.Equal(handle, CommentAuthors.Handle("r1", "b-42")); // stable in the room: bans and deletions name it
        Assert.NotEqual(handle, CommentAuthors.Handle("r2", "b-42")); // another room, another handle: no tracking across rooms
        Assert.NotEqual(handle, CommentAuthors.Handle("r1", "b-43"));

        var view = new RoomView("r1", "s1", "Show", "Hangzhou", RoomStatus.Live, 2, 2, 0, 2, 0, 0, 0, [],
            [new CommentView("b-42", "hello", T0, "c1"), new CommentView("b-43", "hi", T0, "c2")], T0, null);
        var masked = CommentAuthors.ForViewers(view);
        Assert.Equal([handle, CommentAuthors.Handle("r1", "b-43")], masked.RecentComments.Select(c => c.ViewerId));
        Assert.Equal(["hello", "hi"], masked.RecentComments.Select(c => c.Text));
        Assert.Equal(view with { RecentComments = masked.RecentComments }, masked); // nothing else changes
    }

    [Fact]
    public void The_channel_state_applies_contiguous_batches_and_refuses_a_gap_until_a_reset()
    {
        var (outbox, room) = Started();
        var state = new RoomChannelState("r1", recentComments: 2);
        Assert.True(state.NeedsReset);
        // A fresh outbox: its first batch is a reset.
        var fresh = new RoomChannelOutbox(5, 3);
        var reset = fresh.Drain("r1", room, T0)!;
        var resetDeltas = state.Apply(reset);
        Assert.False(state.NeedsReset);
        Assert.Equal(2, resetDeltas.OfType<ShelfItemAdded>().Count());

        room.Shelf["p1"] = room.Shelf["p1"] with { StockLeft = 80 };
        fresh.StockChanged("p1");
        Assert.Single(state.Apply(fresh.Drain("r1", room, T0)!));
        Assert.Equal(80, state.Snapshot(1).Shelf.Single(i => i.ProductId == "p1").StockLeft);

        // A lost batch: later ones are held for a moment (one-way messages may overtake each other), then refused.
        fresh.StockChanged("p1");
        fresh.Drain("r1", room, T0); // lost
        room.Shelf["p1"] = room.Shelf["p1"] with { StockLeft = 70 };
        for (var i = 0; i < 4; i++)
        {
            fresh.StockChanged("p1");
            Assert.Empty(state.Apply(fresh.Drain("r1", room, T0)!));
            Assert.False(state.NeedsReset);
        }
        fresh.StockChanged("p1");
        Assert.Empty(state.Apply(fresh.Drain("r1", room, T0)!));
        Assert.True(state.NeedsReset);
        Assert.Equal(80, state.Snapshot(2).Shelf.Single(i => i.ProductId == "p1").StockLeft); // never applied out of order
        fresh.ResetRequested();
        state.Apply(fresh.Drain("r1", room, T0)!);
        Assert.False(state.NeedsReset);
        Assert.Equal(70, state.Snapshot(2).Shelf.Single(i => i.ProductId == "p1").StockLeft);
    }

    [Fact]
    public void Batches_that_overtake_one_another_are_applied_in_room_order()
    {
        var (_, room) = Started();
        var state = new RoomChannelState("r1", recentComments: 5);
        var outbox = new RoomChannelOutbox(5, 3);
        state.Apply(outbox.Drain("r1", room, T0)!);
        var batches = new List<RoomChannelBatch>();
        foreach (var left in new[] { 90, 80, 70 })
        {
            room.Shelf["p1"] = room.Shelf["p1"] with { StockLeft = left };
            outbox.StockChanged("p1");
            batches.Add(outbox.Drain("r1", room, T0)!);
        }
        Assert.Empty(state.Apply(batches[2]));
        Assert.Empty(state.Apply(batches[1]));
        var applied = state.Apply(batches[0]);
        Assert.Equal([90, 80, 70], applied.OfType<StockChanged>().Select(s => s.StockLeft));
        Assert.Equal(70, state.Snapshot(1).Shelf.Single(i => i.ProductId == "p1").StockLeft);
        Assert.Empty(state.Apply(batches[1])); // a duplicate
    }

    [Fact]
    public void The_snapshot_keeps_only_the_most_recent_comments()
    {
        var (_, room) = Started();
        var state = new RoomChannelState("r1", recentComments: 2);
        var outbox = new RoomChannelOutbox(10, 3);
        state.Apply(outbox.Drain("r1", room, T0)!);
        foreach (var text in new[] { "a", "b", "c" }) outbox.Comment(new ChannelComment("viewer-1", text, T0), T0);
        state.Apply(outbox.Drain("r1", room, T0)!);
        Assert.Equal(["b", "c"], state.Snapshot(1).RecentComments.Select(c => c.Text));
    }

    [Fact]
    public void A_banned_commenters_pending_comments_are_never_pushed_and_the_shown_ones_are_taken_down()
    {
        var (_, room) = Started();
        var state = new RoomChannelState("r1", recentComments: 10);
        var outbox = new RoomChannelOutbox(10, 3);
        state.Apply(outbox.Drain("r1", room, T0)!);
        outbox.Comment(new ChannelComment("viewer-bad", "spam 1", T0), T0);
        outbox.Comment(new ChannelComment("viewer-ok", "hello", T0), T0);
        state.Apply(outbox.Drain("r1", room, T0)!);
        outbox.Comment(new ChannelComment("viewer-bad", "spam 2", T0), T0);
        outbox.Ban("viewer-bad");
        var batch = outbox.Drain("r1", room, T0)!;
        Assert.DoesNotContain(batch.Deltas.OfType<CommentPosted>(), c => c.Comment.Author == "viewer-bad");
        Assert.Equal(new CommentsRemoved("viewer-bad"), Assert.Single(batch.Deltas.OfType<CommentsRemoved>()));
        state.Apply(batch);
        Assert.Equal(["hello"], state.Snapshot(1).RecentComments.Select(c => c.Text));
    }

    [Fact]
    public void A_deleted_comment_is_never_pushed_if_pending_and_taken_down_and_off_the_snapshot_if_shown()
    {
        var (_, room) = Started();
        var state = new RoomChannelState("r1", recentComments: 10);
        var outbox = new RoomChannelOutbox(10, 3);
        state.Apply(outbox.Drain("r1", room, T0)!);
        outbox.Comment(new ChannelComment("viewer-1", "shown", T0, "c-shown"), T0);
        outbox.Comment(new ChannelComment("viewer-1", "kept", T0, "c-kept"), T0);
        state.Apply(outbox.Drain("r1", room, T0)!);

        outbox.Comment(new ChannelComment("viewer-2", "pending", T0, "c-pending"), T0);
        outbox.DeleteComment("c-pending");
        outbox.DeleteComment("c-shown");
        outbox.DeleteComment("c-shown"); // twice: one delta
        var batch = outbox.Drain("r1", room, T0)!;
        Assert.Empty(batch.Deltas.OfType<CommentPosted>()); // the pending one never goes out
        Assert.Equal(new CommentDeleted("c-shown"), Assert.Single(batch.Deltas.OfType<CommentDeleted>()));
        state.Apply(batch);
        Assert.Equal(["kept"], state.Snapshot(1).RecentComments.Select(c => c.Text));
        Assert.Null(outbox.Drain("r1", room, T0)); // nothing left over for the next tick
    }

    private static RoomChannelTick Tick(long sequence) => new(sequence, [new CountsChanged(new ChannelCounts(0, sequence, 0, 0))], T0);

    [Fact]
    public void Replay_returns_the_missed_ticks_or_refuses_when_they_are_gone()
    {
        var replay = new ReplayBuffer(capacity: 4);
        Assert.False(replay.TryGetSince(5, out _));
        for (var s = 11; s <= 16; s++) replay.Add(Tick(s)); // keeps 13..16
        Assert.True(replay.TryGetSince(14, out var missed));
        Assert.Equal([15L, 16L], missed.Select(t => t.Sequence));
        Assert.True(replay.TryGetSince(12, out var all));
        Assert.Equal([13L, 14L, 15L, 16L], all.Select(t => t.Sequence));
        Assert.True(replay.TryGetSince(16, out var none));
        Assert.Empty(none);
        Assert.False(replay.TryGetSince(11, out _)); // 12 is gone: a snapshot instead
        Assert.False(replay.TryGetSince(17, out _)); // ahead of this channel (another activation's id)
    }

    [Fact]
    public void Replay_forgets_ticks_that_do_not_lead_to_the_newest()
    {
        var replay = new ReplayBuffer(capacity: 8);
        replay.Add(Tick(1));
        replay.Add(Tick(2));
        replay.Add(Tick(100));
        Assert.False(replay.TryGetSince(1, out _));
        Assert.True(replay.TryGetSince(99, out var ticks));
        Assert.Equal([100L], ticks.Select(t => t.Sequence));
    }
}
