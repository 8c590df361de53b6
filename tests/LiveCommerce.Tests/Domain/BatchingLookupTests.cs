using LiveCommerce.Grains.Common;

namespace LiveCommerce.Tests.Domain;

public sealed class BatchingLookupTests
{
    [Fact]
    public async Task Lookups_arriving_while_one_is_in_flight_share_the_next_query_and_each_gets_its_own_answer()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queries = new List<IReadOnlyList<string>>();
        var lookup = new BatchingLookup<string, string>(async (keys, _) =>
        {
            lock (queries) queries.Add(keys);
            await release.Task;
            return keys.Where(k => !k.StartsWith("missing")).ToDictionary(k => k, k => "line of " + k);
        }, maxInFlight: 1);

        var first = lookup.FindAsync("o-0");
        await WaitUntil(() => queries.Count == 1);
        var rest = Enumerable.Range(1, 100).Select(i => lookup.FindAsync(i % 10 == 0 ? $"missing-{i}" : $"o-{i}")).ToList();
        var again = lookup.FindAsync("o-1"); // the same key twice in one batch
        release.SetResult();

        Assert.Equal("line of o-0", await first);
        var answers = await Task.WhenAll(rest);
        for (var i = 1; i <= 100; i++) Assert.Equal(i % 10 == 0 ? null : $"line of o-{i}", answers[i - 1]);
        Assert.Equal("line of o-1", await again);
        Assert.Equal(2, lookup.Batches);
        Assert.Equal(100, queries[1].Count); // 90 found + 10 missing, "o-1" asked once
    }

    [Fact]
    public async Task A_failed_query_fails_only_its_own_callers()
    {
        var fail = true;
        var lookup = new BatchingLookup<string, string>((keys, _) => fail
            ? Task.FromException<IReadOnlyDictionary<string, string>>(new TimeoutException("database"))
            : Task.FromResult<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, k => k.ToUpperInvariant())));

        await Assert.ThrowsAsync<TimeoutException>(() => lookup.FindAsync("a"));
        fail = false;
        Assert.Equal("B", await lookup.FindAsync("b"));
    }

    [Fact]
    public async Task A_batch_never_exceeds_its_maximum_size()
    {
        var sizes = new List<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookup = new BatchingLookup<int, string>(async (keys, _) =>
        {
            lock (sizes) sizes.Add(keys.Count);
            await release.Task;
            return keys.ToDictionary(k => k, k => (k * 2).ToString());
        }, maxInFlight: 1, maxBatch: 10);

        var first = lookup.FindAsync(0);
        await WaitUntil(() => sizes.Count == 1);
        var rest = Enumerable.Range(1, 25).Select(lookup.FindAsync).ToList();
        release.SetResult();
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (i * 2).ToString()), await Task.WhenAll(rest));
        Assert.Equal("0", await first);
        Assert.Equal([1, 10, 10, 5], sizes);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
