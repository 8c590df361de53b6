using LiveCommerce.Contracts.Events;
using Orleans.Streams;

namespace LiveCommerce.Grains.Common;

/// <summary>
/// Publishes a domain event to each stream named by the event's keys. Grains publish after the state change is
/// durable; a failure is logged, not thrown: analytics can be rebuilt from durable order state, while failing the
/// business call after it succeeded would invite a retry of something already done.
/// </summary>
public static class EventPublisher
{
    public static async Task PublishAsync(this Grain grain, ILogger logger, DomainEvent item, params (string Namespace, string Key)[] streams)
    {
        var provider = grain.GetStreamProvider(EventStreams.Provider);
        // The streams are independent: publish to all at once rather than one round trip after another.
        await Task.WhenAll(streams.Select(async s =>
        {
            try
            {
                await provider.GetStream<DomainEvent>(StreamId.Create(s.Namespace, s.Key)).OnNextAsync(item);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not publish {Event} to {Namespace}/{Key}", item.GetType().Name, s.Namespace, s.Key);
            }
        }));
    }
}
