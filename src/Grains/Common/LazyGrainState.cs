using Orleans.Storage;

namespace LiveCommerce.Grains.Common;

/// <summary>
/// Grain state read when the grain decides, not at activation. <c>IPersistentState</c> always reads on activation;
/// a grain that usually activates for something brand new (an order being placed) knows from a cheaper lookup
/// that there is nothing to read, and skips a database round trip per activation. Same provider, same state
/// name and same optimistic concurrency (ETag) as <c>IPersistentState</c>, so stored records are interchangeable.
/// </summary>
public sealed class LazyGrainState<T>(IGrainStorage storage, string stateName, GrainId grainId) where T : new()
{
    private readonly GrainState<T> _state = new(new T());

    public T State => _state.State!;

    public async Task ReadStateAsync()
    {
        await storage.ReadStateAsync(stateName, grainId, _state);
        _state.State ??= new T();
    }

    public Task WriteStateAsync() => storage.WriteStateAsync(stateName, grainId, _state);
}
