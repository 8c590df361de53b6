using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// At least once across a silo kill: an order is paid on a silo whose webhook log append fails (its database path is
/// down), so the event sits in the order's persisted outbox; the silo is then killed. The order's outbox reminder
/// reactivates it on the surviving silo, which appends the event to the PostgreSQL log and delivers it, signed.
/// </summary>
public sealed class WebhookFailoverTests
{
    [Fact]
    public async Task A_silo_killed_between_the_payment_and_its_webhook_still_delivers_it()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clusterId = "pg-hooks-" + Guid.NewGuid().ToString("N")[..8];
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["LiveCommerce:Webhooks:AllowPrivateTargets"] = "true" };
        await using var survivor = await PostgresSilo.StartAsync(connectionString, clusterId, settings, PostgresSilo.FakeClockServices(clock));
        var doomed = await PostgresSilo.StartAsync(connectionString, clusterId, settings, services =>
        {
            PostgresSilo.FakeClockServices(clock)(services);
            services.Replace(ServiceDescriptor.Singleton<IWebhookStore>(sp => new AppendsFail(ActivatorUtilities.CreateInstance<PostgresWebhookStore>(sp))));
        });
        try
        {
            await using var receiver = new SandboxWebhookReceiver();
            var shop = new ShopScenario(survivor.Client);
            await shop.SetUpAsync(stock: 10);
            var buyer = (await shop.RegisterBuyersAsync(1))[0];
            await shop.GiveAddressesAsync([buyer]);
            var appId = "pg-app-" + Guid.NewGuid().ToString("N")[..8];
            await survivor.Client.GetGrain<IPlatformAppGrain>(appId).Register(new AppRegistration("ERP", [AppScopes.Webhooks, AppScopes.OrdersRead], null, "admin"));
            await survivor.Client.GetGrain<IMerchantAppGrantsGrain>(shop.MerchantId).Grant(appId, [AppScopes.Webhooks, AppScopes.OrdersRead]);
            var secret = (await survivor.Client.GetGrain<IPlatformAppGrain>(appId).SetWebhook(receiver.Url, [WebhookEventTypes.OrderPaid])).Secret!;

            // Placed and paid through the doomed silo's own client: the order lives there (local placement).
            var onDoomed = new ShopScenario(doomed.Client, shop.Prefix);
            Assert.Equal(PlaceOutcome.Placed, (await onDoomed.PlaceAsync(buyer)).Outcome);
            var paid = await onDoomed.PayAsync(buyer);
            Assert.Equal(OrderStatus.Paid, paid.Status);
            var eventId = $"{paid.OrderId}:1:order.paid";
            // The failed append left the event in the persisted outbox and registered the outbox reminder: wait for the
            // reminder's row (a read of the order can see it paid before its state write and the failed delivery).
            var deadline = Environment.TickCount64 + 30_000;
            while (await PostgresDatabase.ScalarAsync<long>(connectionString,
                       "SELECT count(*) FROM OrleansRemindersTable WHERE ServiceId = @s AND GrainId LIKE @g AND ReminderName = 'outbox'",
                       ("s", clusterId), ("g", "%" + paid.OrderId)) == 0)
            {
                Assert.True(Environment.TickCount64 < deadline, "the order registered no outbox reminder after its failed delivery");
                await Task.Delay(100);
            }
            Assert.Equal(0L, await EventRows(connectionString, eventId));

            await doomed.Host.StopAsync(new CancellationToken(canceled: true));

            var got = await receiver.WaitForAsync(r => r.Id == eventId, TimeSpan.FromMinutes(4));
            new StandardWebhook(secret).Verify(got.Body, got.Headers);
            Assert.Equal(1L, await EventRows(connectionString, eventId));
        }
        finally
        {
            await doomed.DisposeAsync();
        }
    }

    private static Task<long> EventRows(string connectionString, string eventId) =>
        PostgresDatabase.ScalarAsync<long>(connectionString, "SELECT count(*) FROM webhook_events WHERE event_id = @id", ("id", eventId));

    /// <summary>The doomed silo's path to the log fails for appends only; everything else reads the same tables.</summary>
    private sealed class AppendsFail(IWebhookStore inner) : IWebhookStore
    {
        public Task AppendAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken = default) =>
            Task.FromException(new InvalidOperationException("the webhook log is unreachable from this silo"));
        public Task<long> HeadAsync(CancellationToken cancellationToken = default) => inner.HeadAsync(cancellationToken);
        public Task<IReadOnlyList<LoggedEvent>> ReadAsync(IReadOnlyCollection<string> merchantIds, IReadOnlyCollection<string> types, long after, int limit,
            CancellationToken cancellationToken = default) => inner.ReadAsync(merchantIds, types, after, limit, cancellationToken);
        public Task EnqueueAsync(string appId, IReadOnlyList<LoggedEvent> events, DateTimeOffset due, CancellationToken cancellationToken = default) =>
            inner.EnqueueAsync(appId, events, due, cancellationToken);
        public Task<IReadOnlyList<DueDelivery>> DueAsync(string appId, DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
            inner.DueAsync(appId, now, limit, cancellationToken);
        public Task RecordAsync(string appId, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken = default) =>
            inner.RecordAsync(appId, results, cancellationToken);
        public Task<DateTimeOffset?> NextDueAsync(string appId, CancellationToken cancellationToken = default) => inner.NextDueAsync(appId, cancellationToken);
        public Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string appId, WebhookDeliveryStatus? status, long after, int limit,
            CancellationToken cancellationToken = default) => inner.ListAsync(appId, status, after, limit, cancellationToken);
        public Task<IReadOnlyList<WebhookAttemptView>> AttemptsAsync(string appId, string eventId, int limit, CancellationToken cancellationToken = default) =>
            inner.AttemptsAsync(appId, eventId, limit, cancellationToken);
        public Task<int> RequeueAsync(string appId, WebhookReplay replay, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            inner.RequeueAsync(appId, replay, now, cancellationToken);
        public Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default) =>
            inner.PurgeAsync(before, limit, cancellationToken);
    }
}
