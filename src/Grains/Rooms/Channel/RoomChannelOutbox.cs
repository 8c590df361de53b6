using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Grains.Rooms.Channel;

/// <summary>What the room can tell its outbox about itself when a tick is drained.</summary>
public interface IRoomChannelSource
{
    ChannelShelfItem? ShelfItem(string productId);
    ChannelCounts Counts();
    RoomStatus Status { get; }
    string? PinnedProductId { get; }
    RoomChannelSnapshot Snapshot(long roomSequence);
}

/// <summary>
/// The room's side of its channel: marks what changed between ticks and turns the marks into one batch per tick.
/// Marking is O(1) and allocation-free for a product already marked, so the reservation hot path pays a set insert.
/// Rules: stock and price are never dropped (each changed product's current value goes into the next batch, so
/// coalescing within a tick loses no information); counts are merged (their latest values once per tick); comments
/// are sampled (at most <see cref="CommentSampler.PerSecond"/> a second go out, the rest are only counted); order
/// tickers are bounded per tick (decorative: the stock delta carries the fact).
/// </summary>
public sealed class RoomChannelOutbox(int commentsPerSecond, int tickersPerTick)
{
    private readonly HashSet<string> _stock = [];
    private readonly HashSet<string> _price = [];
    private readonly List<string> _added = [];
    private readonly List<ChannelComment> _comments = [];
    private readonly List<OrderTicker> _tickers = [];
    private readonly List<string> _banned = [];
    private readonly List<string> _deleted = [];
    private readonly CommentSampler _sampler = new(commentsPerSecond);
    private bool _counts, _status, _pinned;
    // The first batch of a room activation is a full reset: the channel may have missed the previous activation's end.
    private bool _reset = true;
    private long _sequence = SequenceEpoch.Next();

    public long Sequence => _sequence;
    public bool HasChanges => _reset || _counts || _status || _pinned || _stock.Count + _price.Count + _added.Count + _comments.Count + _tickers.Count + _banned.Count + _deleted.Count > 0;

    public void StockChanged(string productId) => _stock.Add(productId);
    public void PriceChanged(string productId) => _price.Add(productId);
    public void Added(string productId) { if (!_added.Contains(productId)) _added.Add(productId); }
    public void CountsChanged() => _counts = true;
    public void StatusChanged() => _status = true;
    public void PinnedChanged() => _pinned = true;
    public void ResetRequested() => _reset = true;

    /// <summary>Offers a comment; false when the per-second sample is full (the comment still counts, it is just not pushed).</summary>
    public bool Comment(ChannelComment comment, DateTimeOffset now)
    {
        _counts = true;
        if (!_sampler.TryAdmit(now)) return false;
        _comments.Add(comment);
        return true;
    }

    /// <summary>A banned commenter: comments not yet pushed are dropped, and viewers are told to take down the rest.</summary>
    public void Ban(string author)
    {
        _comments.RemoveAll(c => c.Author == author);
        if (!_banned.Contains(author)) _banned.Add(author);
    }

    /// <summary>A deleted comment: not pushed if it is still waiting for the tick, otherwise viewers are told to take it down.</summary>
    public void DeleteComment(string commentId)
    {
        if (_comments.RemoveAll(c => c.Id == commentId) > 0) return;
        if (!_deleted.Contains(commentId)) _deleted.Add(commentId);
    }

    public void Sold(string productId, string productName, int quantity, DateTimeOffset at)
    {
        if (_tickers.Count < tickersPerTick) _tickers.Add(new OrderTicker(productId, productName, quantity, at));
    }

    /// <summary>The batch for this tick (null when nothing changed), then starts collecting the next one.</summary>
    public RoomChannelBatch? Drain(string roomId, IRoomChannelSource room, DateTimeOffset now)
    {
        if (!HasChanges) return null;
        var sequence = ++_sequence;
        var deltas = new List<RoomDelta>();
        RoomChannelSnapshot? reset = null;
        if (_reset)
        {
            // The reset carries everything; what was marked is in it.
            reset = room.Snapshot(sequence);
        }
        else
        {
            if (_status) deltas.Add(new StatusChanged(room.Status));
            foreach (var id in _added)
                if (room.ShelfItem(id) is { } item) deltas.Add(new ShelfItemAdded(item, sequence));
            foreach (var id in _price)
                if (!_added.Contains(id) && room.ShelfItem(id) is { } item) deltas.Add(new PriceChanged(id, item.LivePrice, sequence));
            foreach (var id in _stock)
                if (!_added.Contains(id) && room.ShelfItem(id) is { } item) deltas.Add(new StockChanged(id, item.StockLeft, item.Selling, sequence));
            if (_pinned) deltas.Add(new PinnedChanged(room.PinnedProductId));
            if (_counts) deltas.Add(new CountsChanged(room.Counts()));
        }
        // Comments and tickers are events, not state: they follow a reset too.
        foreach (var author in _banned) deltas.Add(new CommentsRemoved(author));
        foreach (var id in _deleted) deltas.Add(new CommentDeleted(id));
        foreach (var c in _comments) deltas.Add(new CommentPosted(c));
        deltas.AddRange(_tickers);
        _stock.Clear(); _price.Clear(); _added.Clear(); _comments.Clear(); _tickers.Clear(); _banned.Clear(); _deleted.Clear();
        _counts = _status = _pinned = _reset = false;
        return new RoomChannelBatch(roomId, sequence, deltas, now, reset);
    }
}

/// <summary>At most <see cref="PerSecond"/> admissions per wall-clock second.</summary>
public sealed class CommentSampler(int perSecond)
{
    private long _second = long.MinValue;
    private int _admitted;

    public int PerSecond => perSecond;

    public bool TryAdmit(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        if (second != _second) { _second = second; _admitted = 0; }
        if (_admitted >= perSecond) return false;
        _admitted++;
        return true;
    }
}

/// <summary>
/// Sequence numbers that stay increasing across activations without being stored: a new activation starts at the
/// current time in microseconds. Ticks are at least 100 ms apart, so a counter can never catch up with the clock.
/// </summary>
public static class SequenceEpoch
{
    public static long Next() => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
}
