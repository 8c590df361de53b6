namespace LiveCommerce.Grains.Risk;

/// <summary>
/// Order attempts of one source within sliding windows: the count in (now − 60 s, now], so the 6th attempt within
/// any 60 seconds sees 6, and the distinct buyers within a longer window. Expired entries are dropped as time
/// passes; both windows are capped, because past the cap every threshold has long tripped.
/// </summary>
public sealed class SlidingWindow
{
    public static readonly TimeSpan Minute = TimeSpan.FromSeconds(60);
    public const int Cap = 10_000;

    private readonly Queue<DateTimeOffset> _lastMinute = new();
    private readonly Queue<(DateTimeOffset At, string Buyer)> _buyerVisits = new();
    private readonly Dictionary<string, DateTimeOffset> _buyersLastSeen = new(StringComparer.Ordinal);

    public bool IsEmpty => _lastMinute.Count == 0 && _buyersLastSeen.Count == 0;

    public (int LastMinute, int DistinctBuyers) Record(string buyerId, DateTimeOffset now, TimeSpan distinctWindow)
    {
        Expire(now, distinctWindow);
        if (_lastMinute.Count < Cap) _lastMinute.Enqueue(now);
        if (_buyersLastSeen.Count < Cap || _buyersLastSeen.ContainsKey(buyerId))
        {
            _buyersLastSeen[buyerId] = now;
            _buyerVisits.Enqueue((now, buyerId));
        }
        return (_lastMinute.Count, _buyersLastSeen.Count);
    }

    public void Expire(DateTimeOffset now, TimeSpan distinctWindow)
    {
        while (_lastMinute.Count > 0 && _lastMinute.Peek() <= now - Minute) _lastMinute.Dequeue();
        while (_buyerVisits.Count > 0 && _buyerVisits.Peek().At <= now - distinctWindow)
        {
            var (at, buyer) = _buyerVisits.Dequeue();
            // Only the buyer's latest visit removes it: an earlier visit leaving the window does not.
            if (_buyersLastSeen.TryGetValue(buyer, out var last) && last == at) _buyersLastSeen.Remove(buyer);
        }
    }
}
