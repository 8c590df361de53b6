using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Store;

namespace LiveCommerce.Grains.Hosting;

/// <summary>The embedded profile's stand-ins for the PostgreSQL tables: process memory, gone at exit.</summary>
public static class EmbeddedStores
{
    public static readonly InMemorySandboxStore Sandbox = new();
    public static readonly Rooms.InMemoryRoomStockLedger RoomStock = new();
    public static readonly Merchants.InMemoryMerchantOrderStore MerchantOrders = new();
    public static readonly Platform.Webhooks.InMemoryWebhookStore Webhooks = new();
    // After Webhooks: static fields initialise in order, and settlement saves append to the webhook log.
    public static readonly InMemorySettlementStore Settlement = new(Webhooks);
}
