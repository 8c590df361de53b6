using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// Keeps the webhook log bounded: every hour deletes the events that occurred more than <see cref="WebhookOptions.Retention"/>
/// ago (business clock) and have no pending delivery, with their deliveries and attempts, in batches of
/// <see cref="WebhookOptions.RetentionBatchSize"/>, at most <see cref="MaxBatchesPerRun"/> a run so one run stays short;
/// a backlog drains over the next runs. Dispatchers start it when they start their own reminder.
/// </summary>
public sealed class WebhookRetentionGrain(
    IWebhookStore store,
    IOptions<WebhookOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<WebhookRetentionGrain> logger) : Grain, IWebhookRetentionGrain, IRemindable
{
    public const string Key = "log";
    public const string ReminderName = "webhook-retention";
    public const int MaxBatchesPerRun = 20;

    private bool _scheduled;

    public async Task Start()
    {
        if (_scheduled) return;
        if (await this.GetReminder(ReminderName) is null)
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        _scheduled = true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        _scheduled = true;
        await RunOnce();
    }

    public async Task<int> RunOnce()
    {
        var o = options.Value;
        // Zero or less keeps everything (an operator's choice, e.g. while investigating).
        if (o.Retention <= TimeSpan.Zero) return 0;
        var before = clock.GetUtcNow() - o.Retention;
        var batch = Math.Clamp(o.RetentionBatchSize, 1, 10_000);
        var deleted = 0;
        for (var i = 0; i < MaxBatchesPerRun; i++)
        {
            var n = await store.PurgeAsync(before, batch);
            deleted = checked(deleted + n);
            if (n < batch) break;
        }
        if (deleted > 0) logger.LogInformation("Webhook retention deleted {Count} events that occurred before {Before}", deleted, before);
        return deleted;
    }
}
