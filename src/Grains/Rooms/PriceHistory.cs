namespace LiveCommerce.Grains.Rooms;

/// <summary>
/// The prices a product was offered at (list price, shelf prices), kept as daily sums for a bounded window, so
/// the historical average the risk engine compares against costs constant space.
/// </summary>
[GenerateSerializer]
public sealed class PriceHistory
{
    public const int WindowDays = 90;

    /// <summary>Day number (days since 0001-01-01, UTC) → sum and count of prices seen that day.</summary>
    [Id(0)] public SortedDictionary<int, PriceDay> Days { get; set; } = [];

    public void Record(long price, DateTimeOffset at)
    {
        var day = DayNumber(at);
        var entry = Days.TryGetValue(day, out var d) ? d : new PriceDay();
        entry.Sum += price;
        entry.Count++;
        Days[day] = entry;
        Prune(at);
    }

    /// <summary>Mean of the prices seen in the window ending at <paramref name="now"/>; null when none.</summary>
    public long? Average(DateTimeOffset now)
    {
        var first = DayNumber(now) - WindowDays + 1;
        long sum = 0, count = 0;
        foreach (var (day, entry) in Days)
        {
            if (day < first) continue;
            sum += entry.Sum;
            count += entry.Count;
        }
        return count == 0 ? null : (long)Math.Round((decimal)sum / count, MidpointRounding.AwayFromZero);
    }

    public int Observations(DateTimeOffset now)
    {
        var first = DayNumber(now) - WindowDays + 1;
        return (int)Days.Where(d => d.Key >= first).Sum(d => d.Value.Count);
    }

    private void Prune(DateTimeOffset now)
    {
        var first = DayNumber(now) - WindowDays + 1;
        foreach (var old in Days.Keys.Where(k => k < first).ToList()) Days.Remove(old);
    }

    private static int DayNumber(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;
}

[GenerateSerializer]
public sealed class PriceDay
{
    [Id(0)] public long Sum { get; set; }
    [Id(1)] public long Count { get; set; }
}
