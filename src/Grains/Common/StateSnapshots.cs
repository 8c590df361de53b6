using Orleans.Serialization;

namespace LiveCommerce.Grains.Common;

/// <summary>
/// Writes a deep copy of a reentrant grain's working state. Storage providers may serialize after an
/// await, off the grain's scheduler; giving them a private snapshot means an interleaved call can never mutate
/// what is being serialized.
/// </summary>
public static class StateSnapshots
{
    public static Task WriteSnapshotAsync<T>(this IPersistentState<T> state, T live, DeepCopier copier)
    {
        state.State = copier.Copy(live)!;
        return state.WriteStateAsync();
    }
}
