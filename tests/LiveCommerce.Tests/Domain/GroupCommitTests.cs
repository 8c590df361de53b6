using LiveCommerce.Grains.Common;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Domain;

public sealed class GroupCommitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A flush function whose calls the test completes one by one.</summary>
    private sealed class Flushes
    {
        public readonly List<(IReadOnlyList<string> Items, TaskCompletionSource Done)> Calls = [];
        private readonly SemaphoreSlim _called = new(0);

        public Task Flush(IReadOnlyList<string> items)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (Calls) Calls.Add((items.ToList(), done));
            _called.Release();
            return done.Task;
        }

        public async Task<(IReadOnlyList<string> Items, TaskCompletionSource Done)> NextAsync()
        {
            Assert.True(await _called.WaitAsync(Wait), "no flush started");
            lock (Calls) return Calls[^1];
        }

        public async Task NoneWithinAsync(TimeSpan span) => Assert.False(await _called.WaitAsync(span), "a flush started too early");
    }

    [Fact]
    public async Task Items_arriving_during_a_flush_go_together_in_the_next_one_and_each_caller_waits_for_its_own()
    {
        var flushes = new Flushes();
        var commit = new GroupCommit<string>(flushes.Flush, TimeSpan.Zero);

        var first = commit.AppendAsync(["a"]);
        var (items1, done1) = await flushes.NextAsync();
        Assert.Equal(["a"], items1);

        var second = commit.AppendAsync(["b", "c"]);
        var third = commit.AppendAsync(["d"]);
        Assert.False(first.IsCompleted);
        done1.SetResult();
        await first.WaitAsync(Wait);

        var (items2, done2) = await flushes.NextAsync();
        Assert.Equal(["b", "c", "d"], items2);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        done2.SetResult();
        await Task.WhenAll(second, third).WaitAsync(Wait);
        Assert.Equal(2, commit.Flushes);
    }

    [Fact]
    public async Task A_failed_flush_fails_its_callers_only_and_the_next_items_are_flushed()
    {
        var flushes = new Flushes();
        var commit = new GroupCommit<string>(flushes.Flush, TimeSpan.Zero);

        var failed = commit.AppendAsync(["x"]);
        (await flushes.NextAsync()).Done.SetException(new InvalidOperationException("database down"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Wait));
        Assert.Equal("database down", error.Message);

        var later = commit.AppendAsync(["y"]);
        var (items, done) = await flushes.NextAsync();
        Assert.Equal(["y"], items); // the failed item is the caller's to append again, not carried silently
        done.SetResult();
        await later.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_flush_starts_at_most_once_per_interval()
    {
        var clock = new FakeTimeProvider();
        var flushes = new Flushes();
        var commit = new GroupCommit<string>(flushes.Flush, TimeSpan.FromMilliseconds(100), clock);

        var first = commit.AppendAsync(["a"]);
        (await flushes.NextAsync()).Done.SetResult();
        await first.WaitAsync(Wait);

        var second = commit.AppendAsync(["b"]);
        clock.Advance(TimeSpan.FromMilliseconds(60));
        await flushes.NoneWithinAsync(TimeSpan.FromMilliseconds(300));
        var third = commit.AppendAsync(["c"]);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        var (items, done) = await flushes.NextAsync();
        Assert.Equal(["b", "c"], items);
        done.SetResult();
        await Task.WhenAll(second, third).WaitAsync(Wait);
    }

    [Fact]
    public async Task Concurrent_callers_from_many_threads_each_get_their_items_flushed_exactly_once()
    {
        var seen = new List<int>();
        var commit = new GroupCommit<int>(async items =>
        {
            await Task.Yield();
            lock (seen) seen.AddRange(items);
        }, TimeSpan.FromMilliseconds(1));

        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(() => commit.AppendAsync([i])))).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 2000), seen.Order());
        Assert.True(commit.Flushes < 2000, $"{commit.Flushes} flushes for 2000 callers");
    }
}
