using Orleans.Storage;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Tests.Domain;

public sealed class CoalescingWriterTests
{
    [Fact]
    public async Task Callers_arriving_during_a_write_share_the_next_one_and_are_answered_after_it()
    {
        var writes = new List<TaskCompletionSource>();
        var writer = new CoalescingWriter(() =>
        {
            var tcs = new TaskCompletionSource();
            writes.Add(tcs);
            return tcs.Task;
        });

        var first = writer.WriteAsync();            // starts write #1
        var second = writer.WriteAsync();           // waits for write #2
        var third = writer.WriteAsync();            // shares write #2
        Assert.Single(writes);
        Assert.False(first.IsCompleted);

        writes[0].SetResult();
        await first;
        Assert.False(second.IsCompleted);           // its change came after write #1 began
        Assert.Equal(2, writes.Count);

        writes[1].SetResult();
        await Task.WhenAll(second, third);
        Assert.Equal(2, writer.Writes);
        Assert.Equal(3, writer.Requests);
    }

    [Fact]
    public async Task A_failed_write_fails_its_callers_and_every_later_write_is_refused_without_writing()
    {
        var attempt = 0;
        Exception? reported = null;
        var gate = new TaskCompletionSource();
        var writer = new CoalescingWriter(async () =>
        {
            attempt++;
            if (attempt == 1) { await gate.Task; throw new InvalidOperationException("disk full"); }
        }, e => reported = e);

        var failing = writer.WriteAsync();
        var next = writer.WriteAsync();              // waiting for the next write when the first one fails
        gate.SetResult();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.IsType<InvalidOperationException>(reported);
        Assert.True(writer.Failed);

        // Memory now holds the failed write's changes: writing what changed since would persist state around the hole.
        var refused = await Assert.ThrowsAsync<InconsistentStateException>(() => next);
        Assert.IsType<InvalidOperationException>(refused.InnerException);
        await Assert.ThrowsAsync<InconsistentStateException>(() => writer.WriteAsync());
        Assert.Equal(1, attempt);
    }
}
