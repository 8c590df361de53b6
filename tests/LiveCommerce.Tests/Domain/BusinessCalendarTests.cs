using LiveCommerce.Grains.Common;

namespace LiveCommerce.Tests.Domain;

public sealed class BusinessCalendarTests
{
    private static readonly BusinessCalendar Shanghai = new(new BusinessCalendarOptions { Holidays = ["2026-10-01"] });

    [Fact]
    public void Business_dates_follow_Shanghai_not_UTC()
    {
        // 2026-11-24 16:30 UTC is 00:30 on the 25th in Shanghai (UTC+8).
        var instant = new DateTimeOffset(2026, 11, 24, 16, 30, 0, TimeSpan.Zero);
        Assert.Equal(new DateOnly(2026, 11, 25), Shanghai.DateOf(instant));
        Assert.Equal(0, Shanghai.HourOf(instant));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero), Shanghai.StartOf(new DateOnly(2026, 11, 25)));
    }

    [Fact]
    public void T_plus_0_settles_at_confirmation()
    {
        var at = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(at, Shanghai.SettleAt(at, 0));
    }

    [Fact]
    public void T_plus_1_is_the_start_of_the_next_business_day()
    {
        // Tuesday 2026-11-24 11:00 Shanghai → Wednesday 00:00 Shanghai = Tuesday 16:00 UTC.
        var tuesday = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero), Shanghai.SettleAt(tuesday, 1));
    }

    [Fact]
    public void T_plus_1_after_a_friday_is_monday()
    {
        var friday = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateOnly(2026, 11, 30), Shanghai.DateOf(Shanghai.SettleAt(friday, 1)));
        Assert.Equal(new DateOnly(2026, 12, 2), Shanghai.DateOf(Shanghai.SettleAt(friday, 3)));
    }

    [Fact]
    public void Holidays_are_skipped_and_weekends_can_count()
    {
        var beforeHoliday = new DateTimeOffset(2026, 9, 30, 10, 0, 0, TimeSpan.FromHours(8)); // Wednesday
        Assert.Equal(new DateOnly(2026, 10, 2), Shanghai.DateOf(Shanghai.SettleAt(beforeHoliday, 1)));

        var everyDay = new BusinessCalendar(new BusinessCalendarOptions { WeekendsAreBusinessDays = true });
        var friday = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateOnly(2026, 11, 28), everyDay.DateOf(everyDay.SettleAt(friday, 1)));
    }
}
