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
    public async Task A_failed_write_fails_exactly_the_callers_that_waited_for_it()
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
        var next = writer.WriteAsync();
        gate.SetResult();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await next;                                  // the following write succeeds
        Assert.IsType<InvalidOperationException>(reported);
    }
}
