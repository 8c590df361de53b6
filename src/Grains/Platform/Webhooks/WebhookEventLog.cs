using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// The silo's one writer to the webhook event log: appends from many order grains are combined into one multi-row
/// insert per batch (each caller is answered when its batch is durable), then the merchants' app dispatchers are poked
/// so deliveries start within a second. The poke is fire-and-forget: the dispatchers' reminder catches up without it.
/// </summary>
public sealed class WebhookEventLog
{
    private readonly BatchingLookup<WebhookEvent, WebhookEvent> _batches;

    public WebhookEventLog(IWebhookStore store, IGrainFactory grains, ILogger<WebhookEventLog> logger)
    {
        _batches = new(async (events, ct) =>
        {
            await store.AppendAsync(events, ct);
            foreach (var merchant in events.Select(e => e.MerchantId).Distinct())
                _ = Poke(grains, merchant, logger);
            return events.ToDictionary(e => e);
        }, maxInFlight: 2, maxBatch: 500);
    }

    /// <summary>Storage round trips so far (tests and benchmarks).</summary>
    public long Batches => _batches.Batches;

    public Task AppendAsync(WebhookEvent e) => _batches.FindAsync(e);

    private static async Task Poke(IGrainFactory grains, string merchantId, ILogger logger)
    {
        try
        {
            await grains.Ref<IMerchantAppGrantsGrain>(merchantId).NotifyWebhookEvents();
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Poking the webhook dispatchers of merchant {MerchantId} failed; their reminder will deliver", merchantId);
        }
    }
}
