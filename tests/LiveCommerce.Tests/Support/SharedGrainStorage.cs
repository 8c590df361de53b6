using System.Collections.Concurrent;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// Grain state kept outside every silo, as a database keeps it: a silo killed in a test takes no state with it
/// (Orleans' memory storage lives in grains, so a killed silo loses part of it). Optimistic concurrency by ETag,
/// state copied through the silo's serializer so no two activations share an object.
/// </summary>
public sealed class SharedGrainStore
{
    private readonly ConcurrentDictionary<(string Name, string State, GrainId Grain), (byte[] Data, string ETag)> _rows = new();

    /// <summary>Replaces every LiveCommerce storage provider of a silo with a view of this store.</summary>
    public void Register(IServiceCollection services)
    {
        foreach (var name in StorageNames.All)
            services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new View(this, name, sp.GetRequiredService<Serializer>()));
    }

    private sealed class View(SharedGrainStore store, string name, Serializer serializer) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (store._rows.TryGetValue((name, stateName, grainId), out var row))
            {
                grainState.State = serializer.Deserialize<T>(row.Data);
                grainState.ETag = row.ETag;
                grainState.RecordExists = true;
            }
            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            var key = (name, stateName, grainId);
            var data = serializer.SerializeToArray(grainState.State);
            var etag = Guid.NewGuid().ToString("N");
            lock (store._rows)
            {
                var current = store._rows.TryGetValue(key, out var row) ? row.ETag : null;
                if (current != grainState.ETag) throw new InconsistentStateException($"ETag mismatch for {grainId}", current, grainState.ETag);
                store._rows[key] = (data, etag);
            }
            grainState.ETag = etag;
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            lock (store._rows) store._rows.TryRemove((name, stateName, grainId), out _);
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
    }
}

/// <summary>Three silos whose grain state survives any one of them being killed.</summary>
public sealed class DurableClusterFixture : PaymentsFixture
{
    public SharedGrainStore Store { get; } = new();

    protected override short Silos => 3;

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        Store.Register(services);
    }
}
