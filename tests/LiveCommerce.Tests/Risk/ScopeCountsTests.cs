using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Risk;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveCommerce.Tests.Risk;

/// <summary>
/// A silo's view of the scope counters: counts reach the counter grain exactly once each, in their own hour, in a
/// few calls; other silos see them within the sync interval; in exact mode every answer comes from a call made after
/// the order was counted.
/// </summary>
public sealed class ScopeCountsTests
{
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 18, 30, 0, TimeSpan.Zero); // 02:30 in Shanghai
    private const string Scope = "room:r1";

    [Fact]
    public async Task Orders_counted_at_once_reach_the_counter_exactly_once_each_in_a_few_calls()
    {
        var grain = new FakeCounter { Delay = TimeSpan.FromMilliseconds(5) };
        var counts = Silo(grain, TimeSpan.FromMilliseconds(100));

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => counts.RecordOrder(Scope, Night, true))));

        Assert.All(answers, a => Assert.InRange(a.OrdersThisHour, 1, 200));
        Assert.Equal(200, answers.Max(a => a.OrdersThisHour)); // the last order counted sees every one of them
        await counts.FlushAsync();
        Assert.Equal(200, grain.OrdersIn(Night));
        Assert.InRange(grain.Calls, 1, 10);
    }

    [Fact]
    public async Task Another_silo_sees_the_counts_within_the_sync_interval()
    {
        var grain = new FakeCounter();
        var siloA = Silo(grain, TimeSpan.FromMilliseconds(50));
        var siloB = Silo(grain, TimeSpan.FromMilliseconds(50));

        for (var i = 1; i <= 3; i++) Assert.Equal(i, (await siloA.RecordOrder(Scope, Night, true)).OrdersThisHour); // its own, at once
        await WaitUntil(async () => (await siloB.Read(Scope, Night)).OrdersThisHour == 3);
        Assert.Equal(4, (await siloB.RecordOrder(Scope, Night, true)).OrdersThisHour);
        await WaitUntil(async () => (await siloA.Read(Scope, Night)).OrdersThisHour == 4);
        Assert.Equal(4, grain.OrdersIn(Night));
    }

    [Fact]
    public async Task In_exact_mode_each_answer_includes_every_order_counted_before_it_on_any_silo()
    {
        var grain = new FakeCounter();
        var siloA = Silo(grain, TimeSpan.Zero);
        var siloB = Silo(grain, TimeSpan.Zero);

        Assert.Equal(1, (await siloA.RecordOrder(Scope, Night, true)).OrdersThisHour);
        Assert.Equal(2, (await siloB.RecordOrder(Scope, Night, true)).OrdersThisHour);
        Assert.Equal(3, (await siloA.RecordOrder(Scope, Night, true)).OrdersThisHour);
        Assert.Equal(3, (await siloB.Read(Scope, Night)).OrdersThisHour);
        Assert.Equal(4, grain.Calls);
    }

    [Fact]
    public async Task Counts_of_an_hour_stay_in_that_hour_when_the_next_hour_begins()
    {
        var grain = new FakeCounter();
        var counts = Silo(grain, TimeSpan.FromSeconds(30)); // nothing is flushed by the timer during this test
        var lastSecond = new DateTimeOffset(2026, 11, 24, 18, 59, 59, TimeSpan.Zero);

        await counts.RecordOrder(Scope, lastSecond, true);
        await counts.RecordOrder(Scope, lastSecond, true);
        var next = await counts.RecordOrder(Scope, lastSecond.AddSeconds(2), true);

        Assert.Equal(1, next.OrdersThisHour);
        await counts.FlushAsync();
        Assert.Equal((2, 1), (grain.OrdersIn(lastSecond), grain.OrdersIn(lastSecond.AddSeconds(2))));
    }

    [Fact]
    public async Task A_failed_counter_call_fails_its_callers_but_loses_no_count()
    {
        var grain = new FakeCounter { FailNext = 1 };
        var counts = Silo(grain, TimeSpan.Zero);

        await Assert.ThrowsAsync<InvalidOperationException>(() => counts.RecordOrder(Scope, Night, true));
        Assert.Equal(2, (await counts.RecordOrder(Scope, Night, true)).OrdersThisHour);
        Assert.Equal(2, grain.OrdersIn(Night));
    }

    [Fact]
    public async Task A_paid_or_refunded_order_is_in_the_next_answer_of_the_silo_that_recorded_it()
    {
        var grain = new FakeCounter();
        var counts = Silo(grain, TimeSpan.FromSeconds(30)); // a cached copy would otherwise serve for two minutes
        Assert.Equal(0, (await counts.Read(Scope, Night)).PaidLast24Hours);

        await counts.RecordPaid(Scope, "o1", Night);
        await counts.RecordPaid(Scope, "o2", Night);
        await counts.RecordRefunded(Scope, "o1", Night);

        var activity = await counts.Read(Scope, Night);
        Assert.Equal((2, 1), (activity.PaidLast24Hours, activity.RefundedLast24Hours));
    }

    [Fact]
    public void A_negative_interval_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Silo(new FakeCounter(), TimeSpan.FromMilliseconds(-1)));
    }

    private static ScopeCounts Silo(FakeCounter grain, TimeSpan interval) => new(_ => grain, interval, NullLogger<ScopeCounts>.Instance);

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met within 5 s");
            await Task.Delay(10);
        }
    }

    /// <summary>The counter grain's arithmetic, in memory, counting calls.</summary>
    private sealed class FakeCounter : IScopeCounterGrain
    {
        private readonly HourlyCounts _counts = new();
        private int _calls;
        public TimeSpan Delay { get; init; }
        public int FailNext;
        public int Calls => Volatile.Read(ref _calls);

        public long OrdersIn(DateTimeOffset at)
        {
            lock (_counts) return _counts.Orders(HourlyCounts.HourOf(at));
        }

        public async Task<ScopeActivity> RecordOrders(DateTimeOffset at, bool countTowardsNight, int orders)
        {
            Interlocked.Increment(ref _calls);
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            if (Interlocked.Decrement(ref FailNext) >= 0) throw new InvalidOperationException("counter unreachable");
            lock (_counts)
            {
                if (countTowardsNight) _counts.At(at).Orders += orders;
                var (paid, refunded) = _counts.Last24Hours(at);
                return new ScopeActivity(Scope, _counts.Orders(HourlyCounts.HourOf(at)), _counts.BaselineTimes7(at), paid, refunded);
            }
        }

        public Task<ScopeActivity> Read(DateTimeOffset at) => RecordOrders(at, false, 0);

        public Task RecordPaid(string orderId, DateTimeOffset at)
        {
            lock (_counts) _counts.At(at).Paid++;
            return Task.CompletedTask;
        }

        public Task RecordRefunded(string orderId, DateTimeOffset at)
        {
            lock (_counts) _counts.At(at).Refunded++;
            return Task.CompletedTask;
        }

        public Task SeedOrders(DateTimeOffset hour, long orders)
        {
            lock (_counts) _counts.At(hour).Orders += orders;
            return Task.CompletedTask;
        }
    }
}
