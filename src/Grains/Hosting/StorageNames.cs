namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// Grain storage providers, one per concern, so each can be tuned or moved to its own database later.
/// Every grain class also uses its own state name: AdoNet storage keys rows by state name and grain key,
/// not by grain type.
/// </summary>
public static class StorageNames
{
    public const string Rooms = "rooms";
    public const string Orders = "orders";
    public const string Accounts = "accounts";
    public const string Risk = "risk";
    public const string Traffic = "traffic";
    public const string Analytics = "analytics";
    /// <summary>The open platform: apps, merchants' grants, webhook outboxes.</summary>
    public const string Platform = "platform";
    /// <summary>The name Orleans' stream pub-sub looks up.</summary>
    public const string PubSub = "PubSubStore";

    public static readonly string[] All = [Rooms, Orders, Accounts, Risk, Traffic, Analytics, Platform, PubSub];
}

