namespace LiveCommerce.Grains.Risk;

/// <summary>
/// Per-hour counts of a scope (UTC hour number → orders, paid, refunded) for the last 8 days: enough for a 7-day
/// baseline of any hour, so the state stays bounded.
/// </summary>
[GenerateSerializer]
public sealed class HourlyCounts
{
    public const int KeepHours = 8 * 24 + 1;

    [Id(0)] public SortedDictionary<long, HourCount> Hours { get; set; } = [];

    public static long HourOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 3600;

    public HourCount At(DateTimeOffset at)
    {
        var hour = HourOf(at);
        if (!Hours.TryGetValue(hour, out var count)) Hours[hour] = count = new HourCount();
        Prune(hour);
        return count;
    }

    public long Orders(long hour) => Hours.TryGetValue(hour, out var c) ? c.Orders : 0;

    /// <summary>Orders in the same hour on each of the previous 7 days, summed (the baseline × 7).</summary>
    public long BaselineTimes7(DateTimeOffset at)
    {
        var hour = HourOf(at);
        long sum = 0;
        for (var day = 1; day <= 7; day++) sum += Orders(hour - 24 * day);
        return sum;
    }

    public (long Paid, long Refunded) Last24Hours(DateTimeOffset at)
    {
        var hour = HourOf(at);
        long paid = 0, refunded = 0;
        foreach (var (h, c) in Hours)
        {
            if (h <= hour - 24 || h > hour) continue;
            paid += c.Paid;
            refunded += c.Refunded;
        }
        return (paid, refunded);
    }

    private void Prune(long current)
    {
        while (Hours.Count > 0 && Hours.First().Key < current - KeepHours) Hours.Remove(Hours.First().Key);
    }
}

[GenerateSerializer]
public sealed class HourCount
{
    [Id(0)] public long Orders { get; set; }
    [Id(1)] public long Paid { get; set; }
    [Id(2)] public long Refunded { get; set; }
}
