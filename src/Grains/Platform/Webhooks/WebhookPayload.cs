using System.Text.Json;
using System.Text.Json.Serialization;
using LiveCommerce.Contracts.Platform;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// What an app learns through one webhook. One subtype per event type; <see cref="Type"/> is the Standard Webhooks
/// event type and the JSON of the concrete record is the event's <c>data</c> (public fields only).
/// </summary>
public abstract record WebhookPayload
{
    [JsonIgnore] public abstract string Type { get; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Json);

    /// <summary>
    /// The log event for the <paramref name="sequence"/>-th event of <paramref name="resourceId"/>. Its id is derived
    /// from the resource and the sequence, so an outbox item (or a retried transaction) appends it once.
    /// </summary>
    public WebhookEvent ToEvent(string merchantId, string resourceId, long sequence, DateTimeOffset at) =>
        new($"{resourceId}:{sequence}:{Type}", merchantId, Type, resourceId, sequence, at, ToJson());
}
