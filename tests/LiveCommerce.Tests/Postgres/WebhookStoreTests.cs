using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// The webhook log and delivery tables, the same rules on PostgreSQL and in memory: appends are idempotent by event id
/// (a redelivered outbox item adds nothing), a resource's later event waits while an earlier one is pending, attempts
/// are recorded, replays requeue, and the delivery log pages by position.
/// </summary>
public sealed class WebhookStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Stores => ["memory", "postgres"];

    /// <summary>A fresh in-memory store, or one on the test database (shared with <see cref="WebhookRetentionTests"/>).</summary>
    internal static async Task<(IWebhookStore Store, IAsyncDisposable? Source)> StoreAsync(string kind)
    {
        if (kind == "memory") return (new InMemoryWebhookStore(), null);
        var source = NpgsqlDataSource.Create(await PostgresDatabase.RequireAsync());
        return (new PostgresWebhookStore(source, Options.Create(new WebhookOptions { CursorSettle = TimeSpan.Zero })), source);
    }

    private static WebhookEvent E(string merchant, string order, int seq, string type, int minutes = 0) =>
        new($"{order}:{seq}:{type}", merchant, type, order, seq, T0.AddMinutes(minutes), $$$"""{"order":{"orderId":"{{{order}}}"}}""");

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Appending_the_same_event_twice_keeps_one_and_deliveries_follow_each_orders_sequence(string kind)
    {
        var (store, source) = await StoreAsync(kind);
        await using var _ = source;
        var m = "wm-" + Guid.NewGuid().ToString("N")[..8];
        var app = "wa-" + Guid.NewGuid().ToString("N")[..8];
        string o1 = m + "-o1", o2 = m + "-o2";
        var paid1 = E(m, o1, 1, WebhookEventTypes.OrderPaid);
        var shipped1 = E(m, o1, 2, WebhookEventTypes.OrderShipped, 1);
        var paid2 = E(m, o2, 1, WebhookEventTypes.OrderPaid, 2);

        // A redelivered outbox item, alone and inside a later batch: one row each.
        await store.AppendAsync([paid1]);
        await store.AppendAsync([paid1, shipped1, paid1]);
        await store.AppendAsync([paid2, shipped1]);
        var all = WebhookEventTypes.All.ToList();
        var logged = await store.ReadAsync([m], all, 0, 100);
        Assert.Equal([paid1.EventId, shipped1.EventId, paid2.EventId], logged.Select(l => l.Event.EventId));
        Assert.True(logged.Zip(logged.Skip(1)).All(p => p.First.Position < p.Second.Position));
        Assert.Equal(paid1, logged[0].Event with { Payload = paid1.Payload });
        Assert.Equal([shipped1.EventId], (await store.ReadAsync([m], [WebhookEventTypes.OrderShipped], 0, 100)).Select(l => l.Event.EventId));
        Assert.Empty(await store.ReadAsync([m], all, logged[^1].Position, 100));

        await store.EnqueueAsync(app, logged, T0);
        await store.EnqueueAsync(app, logged, T0.AddHours(1)); // again: kept as they were
        // o1's shipped event waits for its paid event; o2's paid event is independent.
        Assert.Equal([paid1.EventId, paid2.EventId], (await store.DueAsync(app, T0, 100)).Select(d => d.Event.EventId));
        Assert.Empty(await store.DueAsync(app, T0.AddSeconds(-1), 100));

        await store.RecordAsync(app, [new AttemptResult(paid1.EventId, 1, T0, 500, "HTTP 500", 12, WebhookDeliveryStatus.Pending, T0.AddSeconds(5))]);
        Assert.Equal([paid2.EventId], (await store.DueAsync(app, T0, 100)).Select(d => d.Event.EventId));
        Assert.Equal(T0, await store.NextDueAsync(app));
        await store.RecordAsync(app, [new AttemptResult(paid2.EventId, 1, T0, 200, null, 8, WebhookDeliveryStatus.Delivered, null)]);
        Assert.Equal(T0.AddSeconds(5), await store.NextDueAsync(app));

        var due = await store.DueAsync(app, T0.AddSeconds(5), 100);
        Assert.Equal((paid1.EventId, 1, 1), (Assert.Single(due).Event.EventId, due[0].Attempts, due[0].RoundAttempts));
        await store.RecordAsync(app, [new AttemptResult(paid1.EventId, 2, T0.AddSeconds(5), 204, null, 9, WebhookDeliveryStatus.Delivered, null)]);
        Assert.Equal([shipped1.EventId], (await store.DueAsync(app, T0.AddSeconds(5), 100)).Select(d => d.Event.EventId));

        var page1 = await store.ListAsync(app, null, 0, 2);
        Assert.Equal([paid1.EventId, shipped1.EventId], page1.Select(d => d.EventId));
        Assert.Equal((WebhookDeliveryStatus.Delivered, 2, 204, 9L), (page1[0].Status, page1[0].Attempts, page1[0].LastStatusCode, page1[0].LastLatencyMs));
        Assert.Equal([paid2.EventId], (await store.ListAsync(app, null, page1[^1].Position, 2)).Select(d => d.EventId));
        Assert.Equal([shipped1.EventId], (await store.ListAsync(app, WebhookDeliveryStatus.Pending, 0, 10)).Select(d => d.EventId));
        Assert.Equal([2, 1], (await store.AttemptsAsync(app, paid1.EventId, 10)).Select(a => a.Attempt));

        // A replay by id makes a delivered event pending again with a fresh back-off; by range, at most the limit.
        Assert.Equal(1, await store.RequeueAsync(app, new WebhookReplay(paid2.EventId, null, null, 1), T0.AddMinutes(9)));
        var replayed = await store.DueAsync(app, T0.AddMinutes(9), 100);
        Assert.Contains(replayed, d => d.Event.EventId == paid2.EventId && d.RoundAttempts == 0 && d.Attempts == 1);
        Assert.Equal(2, await store.RequeueAsync(app, new WebhookReplay(null, T0, T0.AddMinutes(2), 10), T0.AddMinutes(9)));
        Assert.Equal(0, await store.RequeueAsync(app, new WebhookReplay("nope", null, null, 1), T0));
        Assert.True(await store.HeadAsync() >= logged[^1].Position);
    }
}
