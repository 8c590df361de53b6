namespace LiveCommerce.Grains.Common;

/// <summary>
/// Dates and days in the business time zone (Asia/Shanghai by default): settlement days, the risk engine's night
/// window, analytics' hour of day. Instants stay UTC everywhere else.
/// </summary>
public sealed class BusinessCalendar
{
    public const string Section = "LiveCommerce:Business";

    public BusinessCalendar(BusinessCalendarOptions options)
    {
        Zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        WeekendsAreBusinessDays = options.WeekendsAreBusinessDays;
        Holidays = options.Holidays.Select(DateOnly.Parse).ToHashSet();
    }

    public TimeZoneInfo Zone { get; }
    public bool WeekendsAreBusinessDays { get; }
    public IReadOnlySet<DateOnly> Holidays { get; }

    public DateTimeOffset ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    public DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(ToLocal(instant).DateTime);

    public int HourOf(DateTimeOffset instant) => ToLocal(instant).Hour;

    /// <summary>The instant the local day <paramref name="date"/> begins.</summary>
    public DateTimeOffset StartOf(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The instant of local time <paramref name="time"/> on <paramref name="date"/>.</summary>
    public DateTimeOffset At(DateOnly date, TimeOnly time)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public bool IsBusinessDay(DateOnly date) =>
        !Holidays.Contains(date) && (WeekendsAreBusinessDays || date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));

    /// <summary>The <paramref name="days"/>-th business day after <paramref name="date"/> (0: the date itself).</summary>
    public DateOnly AddBusinessDays(DateOnly date, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var current = date;
        for (var counted = 0; counted < days;)
        {
            current = current.AddDays(1);
            if (IsBusinessDay(current)) counted++;
        }
        return current;
    }

    /// <summary>
    /// When a share confirmed at <paramref name="confirmedAt"/> becomes available on a T+<paramref name="cycleDays"/>
    /// cycle: T+0 at once; T+N at the start of the N-th business day after the confirmation's business date.
    /// </summary>
    public DateTimeOffset SettleAt(DateTimeOffset confirmedAt, int cycleDays) =>
        cycleDays == 0 ? confirmedAt : StartOf(AddBusinessDays(DateOf(confirmedAt), cycleDays));
}

public sealed class BusinessCalendarOptions
{
    /// <summary>IANA time zone of the business (settlement days, night window, hour of day).</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Whether Saturdays and Sundays count as business days for T+N settlement.</summary>
    public bool WeekendsAreBusinessDays { get; set; }

    /// <summary>Non-business days (yyyy-MM-dd), e.g. public holidays.</summary>
    public List<string> Holidays { get; set; } = [];
}
