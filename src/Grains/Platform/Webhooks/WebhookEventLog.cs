using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// The silo's one writer to the webhook event log: appends from many order grains are combined into one multi-row
/// insert per batch (<see cref="GroupCommit{T}"/>: each caller is answered when its batch is durable), then the merchants'
/// app dispatchers are poked so deliveries start within a second. The poke is fire-and-forget: the dispatchers' reminder catches up without it.
/// </summary>
public sealed class WebhookEventLog
{
    private readonly GroupCommit<WebhookEvent> _writes;
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;

    public WebhookEventLog(IWebhookStore store, IGrainFactory grains, ILogger<WebhookEventLog> logger)
    {
        _grains = grains;
        _logger = logger;
        // One insert in flight; everything appended meanwhile goes in the next (no added delay when idle).
        _writes = new(async events =>
        {
            await store.AppendAsync(events);
            Announce(events);
        }, TimeSpan.Zero);
    }

    /// <summary>Storage round trips so far (tests and benchmarks).</summary>
    public long Batches => _writes.Flushes;

    public Task AppendAsync(WebhookEvent e) => _writes.AppendAsync([e]);

    /// <summary>
    /// Events are durable in the log (appended here, or in a settlement transaction): poke their merchants' dispatchers.
    /// Platform-wide events poke no one: no grain knows every app, and each dispatcher's 1-minute reminder reads them.
    /// </summary>
    public void Announce(IEnumerable<WebhookEvent> events)
    {
        foreach (var merchant in events.Select(e => e.MerchantId).Distinct())
            if (merchant != WebhookEventTypes.PlatformMerchantId) _ = PokeAsync(merchant);
    }

    private async Task PokeAsync(string merchantId)
    {
        try
        {
            await _grains.Ref<IMerchantAppGrantsGrain>(merchantId).NotifyWebhookEvents();
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Poking the webhook dispatchers of merchant {MerchantId} failed; their reminder will deliver", merchantId);
        }
    }
}
