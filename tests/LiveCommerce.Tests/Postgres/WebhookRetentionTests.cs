using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// Retention of the webhook log, the same rule on PostgreSQL and in memory: events older than the cut-off whose
/// deliveries are all delivered or dead (or that nobody subscribed to) go with their deliveries and attempts, in
/// batches of the given size, oldest first; a pending one stays however old, younger ones stay, and the log keeps
/// reading and appending by position afterwards.
/// </summary>
public sealed class WebhookRetentionTests
{
    // Long before anything other tests log, so the shared database's other rows are never past this cut-off.
    private static readonly DateTimeOffset Cut = new(2020, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(WebhookStoreTests.Stores), MemberType = typeof(WebhookStoreTests))]
    public async Task Old_delivered_dead_and_unsubscribed_events_go_in_batches_and_pending_or_young_ones_stay(string kind)
    {
        var (store, source) = await WebhookStoreTests.StoreAsync(kind);
        await using var _ = source;
        var m = "rm-" + Guid.NewGuid().ToString("N")[..8];
        var app = "ra-" + Guid.NewGuid().ToString("N")[..8];
        WebhookEvent E(string name, DateTimeOffset at) => new($"{m}-{name}:1:order.paid", m, WebhookEventTypes.OrderPaid, $"{m}-{name}", 1, at, """{"n":1}""");
        var delivered = E("delivered", Cut.AddDays(-10));
        var dead = E("dead", Cut.AddDays(-9));
        var pending = E("pending", Cut.AddDays(-8));
        var unsubscribed = E("unsubscribed", Cut.AddDays(-7));
        var young = E("young", Cut.AddDays(1));
        // Earlier runs on the same database leave only pending events this old; drain anything else first.
        while (await store.PurgeAsync(Cut, 1000) > 0) { }
        await store.AppendAsync([delivered, dead, pending, unsubscribed, young]);
        var logged = await store.ReadAsync([m], [WebhookEventTypes.OrderPaid], 0, 100);
        await store.EnqueueAsync(app, logged.Where(l => l.Event.EventId != unsubscribed.EventId).ToList(), Cut.AddDays(-10));
        await store.RecordAsync(app,
        [
            new AttemptResult(delivered.EventId, 1, Cut.AddDays(-10), 200, null, 5, WebhookDeliveryStatus.Delivered, null),
            new AttemptResult(dead.EventId, 1, Cut.AddDays(-9), 500, "HTTP 500", 5, WebhookDeliveryStatus.Dead, null),
            new AttemptResult(pending.EventId, 1, Cut.AddDays(-8), 503, "HTTP 503", 5, WebhookDeliveryStatus.Pending, Cut.AddDays(2)),
            new AttemptResult(young.EventId, 1, Cut.AddDays(1), 200, null, 5, WebhookDeliveryStatus.Delivered, null),
        ]);

        // A batch of two takes the two oldest; the next takes the last one due and comes back short.
        Assert.Equal(2, await store.PurgeAsync(Cut, 2));
        Assert.Equal([pending.EventId, unsubscribed.EventId, young.EventId],
            (await store.ReadAsync([m], [WebhookEventTypes.OrderPaid], 0, 100)).Select(l => l.Event.EventId));
        Assert.Equal(1, await store.PurgeAsync(Cut, 2));
        Assert.Equal(0, await store.PurgeAsync(Cut, 2));

        var left = await store.ReadAsync([m], [WebhookEventTypes.OrderPaid], 0, 100);
        Assert.Equal([pending.EventId, young.EventId], left.Select(l => l.Event.EventId));
        Assert.Equal([pending.EventId, young.EventId], (await store.ListAsync(app, null, 0, 100)).Select(d => d.EventId));
        Assert.Empty(await store.AttemptsAsync(app, delivered.EventId, 10));
        Assert.Empty(await store.AttemptsAsync(app, dead.EventId, 10));
        Assert.Single(await store.AttemptsAsync(app, pending.EventId, 10));
        Assert.Equal(0, await store.RequeueAsync(app, new WebhookReplay(delivered.EventId, null, null, 1), Cut));
        // The pending one is still due for its retry.
        Assert.Equal(pending.EventId, Assert.Single(await store.DueAsync(app, Cut.AddDays(2), 10)).Event.EventId);

        // Positions go on after a purge: a new event reads after the survivors.
        var later = E("later", Cut.AddDays(3));
        await store.AppendAsync([later]);
        var tail = await store.ReadAsync([m], [WebhookEventTypes.OrderPaid], left[^1].Position, 100);
        Assert.Equal(later.EventId, Assert.Single(tail).Event.EventId);
        Assert.True(tail[0].Position > left[^1].Position);
        Assert.True(await store.HeadAsync() >= tail[0].Position);
    }
}
