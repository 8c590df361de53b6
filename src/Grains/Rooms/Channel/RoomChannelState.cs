using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Grains.Rooms.Channel;

/// <summary>
/// The channel's view of a room, built from the room's batches: what a new viewer's snapshot holds. A batch that
/// does not follow the previous one (one was lost, or the room reactivated without a reset) is refused, and the
/// channel asks the room for a reset: the channel never serves a shelf it knows may be stale.
/// </summary>
public sealed class RoomChannelState(string roomId, int recentComments)
{
    private readonly Dictionary<string, ChannelShelfItem> _shelf = new(StringComparer.Ordinal);
    private readonly LinkedList<ChannelComment> _comments = new();
    private RoomStatus _status;
    private string _title = "";
    private string? _pinned;
    private ChannelCounts _counts = new(0, 0, 0, 0);
    private bool _exists;

    public long RoomSequence { get; private set; }
    /// <summary>A batch was missing: deltas are refused until the room sends a reset.</summary>
    public bool NeedsReset { get; private set; } = true;

    /// <summary>Batches that arrived ahead of a missing one (one-way messages may overtake each other), by room sequence.</summary>
    private readonly SortedDictionary<long, RoomChannelBatch> _early = [];
    private const int MaxEarly = 4;

    /// <summary>Applies a batch; returns the deltas viewers must get (empty when refused, held or a duplicate).</summary>
    public IReadOnlyList<RoomDelta> Apply(RoomChannelBatch batch)
    {
        if (batch.Reset is { } reset)
        {
            if (!NeedsReset && batch.RoomSequence <= RoomSequence) return [];
            _early.Clear();
            var deltas = ResetTo(reset, batch.RoomSequence);
            foreach (var d in batch.Deltas) { ApplyDelta(d); deltas.Add(d); }
            return deltas;
        }
        if (NeedsReset || batch.RoomSequence <= RoomSequence) return [];
        if (batch.RoomSequence != RoomSequence + 1)
        {
            // Held until the missing batch arrives; too many held means it was lost: the room must send everything.
            _early[batch.RoomSequence] = batch;
            if (_early.Count > MaxEarly)
            {
                _early.Clear();
                NeedsReset = true;
            }
            return [];
        }
        var applied = new List<RoomDelta>();
        while (true)
        {
            RoomSequence = batch.RoomSequence;
            foreach (var d in batch.Deltas) { ApplyDelta(d); applied.Add(d); }
            if (!_early.Remove(RoomSequence + 1, out var next)) break;
            batch = next;
        }
        return applied;
    }

    /// <summary>Takes the room's whole state; the deltas tell viewers everything that may differ from what they had.</summary>
    private List<RoomDelta> ResetTo(RoomChannelSnapshot reset, long roomSequence)
    {
        NeedsReset = false;
        RoomSequence = roomSequence;
        _exists = reset.Exists;
        _status = reset.Status;
        _title = reset.Title;
        _pinned = reset.PinnedProductId;
        _counts = reset.Counts;
        _shelf.Clear();
        foreach (var item in reset.Shelf) _shelf[item.ProductId] = item;
        _comments.Clear();
        foreach (var c in reset.RecentComments.TakeLast(recentComments)) _comments.AddLast(c);
        var deltas = new List<RoomDelta> { new StatusChanged(_status) };
        // shelfAdded is an upsert for a viewer: it carries every field of the item.
        deltas.AddRange(reset.Shelf.Select(i => new ShelfItemAdded(i, roomSequence)));
        deltas.Add(new PinnedChanged(_pinned));
        deltas.Add(new CountsChanged(_counts));
        return deltas;
    }

    private void ApplyDelta(RoomDelta delta)
    {
        switch (delta)
        {
            case ShelfItemAdded a: _shelf[a.Item.ProductId] = a.Item; break;
            case StockChanged s when _shelf.TryGetValue(s.ProductId, out var item): _shelf[s.ProductId] = item with { StockLeft = s.StockLeft, Selling = s.Selling }; break;
            case PriceChanged p when _shelf.TryGetValue(p.ProductId, out var item): _shelf[p.ProductId] = item with { LivePrice = p.LivePrice }; break;
            case PinnedChanged p: _pinned = p.ProductId; break;
            case StatusChanged s: _status = s.Status; break;
            case CountsChanged c: _counts = c.Counts; break;
            case CommentsRemoved r: RemoveComments(c => c.Author == r.Author); break;
            case CommentDeleted d: RemoveComments(c => c.Id == d.CommentId); break;
            case CommentPosted c:
                _comments.AddLast(c.Comment);
                while (_comments.Count > recentComments) _comments.RemoveFirst();
                break;
        }
    }

    private void RemoveComments(Func<ChannelComment, bool> match)
    {
        for (var node = _comments.First; node is not null;)
        {
            var next = node.Next;
            if (match(node.Value)) _comments.Remove(node);
            node = next;
        }
    }

    public RoomChannelSnapshot Snapshot(long sequence) =>
        new(roomId, sequence, _status, _title, _shelf.Values.OrderBy(i => i.ProductId, StringComparer.Ordinal).ToList(), _counts, _pinned,
            _comments.ToList(), RoomSequence, _exists);
}

/// <summary>The last <c>capacity</c> ticks, for viewers who reconnect with the id of the last tick they got.</summary>
public sealed class ReplayBuffer(int capacity)
{
    private readonly Queue<RoomChannelTick> _ticks = new();

    public long? LastSequence { get; private set; }

    public void Add(RoomChannelTick tick)
    {
        if (LastSequence is { } last && tick.Sequence != last + 1) _ticks.Clear(); // a jump: older ticks no longer lead here
        _ticks.Enqueue(tick);
        while (_ticks.Count > capacity) _ticks.Dequeue();
        LastSequence = tick.Sequence;
    }

    /// <summary>The ticks after <paramref name="afterSequence"/> when every one of them is still here; false otherwise.</summary>
    public bool TryGetSince(long afterSequence, out IReadOnlyList<RoomChannelTick> ticks)
    {
        ticks = [];
        if (LastSequence is not { } last || afterSequence > last) return false;
        if (afterSequence == last) return true;
        var first = _ticks.Peek().Sequence;
        if (afterSequence < first - 1) return false;
        ticks = _ticks.Where(t => t.Sequence > afterSequence).ToList();
        return true;
    }
}
