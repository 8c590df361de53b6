using System.Collections.Concurrent;
using LiveCommerce.Grains.Analytics;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// Analytics storage that can play "another activation wrote this grain's state": before the grain's next write it
/// rewrites the stored state as it is, which moves the ETag under the grain, as the stopping silo's last flush does
/// in a rolling restart when the grain was already activated elsewhere.
/// </summary>
public sealed class SupersedingStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly ConcurrentDictionary<string, byte> _supersede = new();
    private readonly ConcurrentDictionary<string, int> _written = new();

    public void SupersedeNextWrite(string grainKey) => _supersede[grainKey] = 0;

    public int Writes(string grainKey) => _written.GetValueOrDefault(grainKey);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = grainId.Key.ToString()!;
        if (_supersede.TryRemove(key, out _))
        {
            var other = new GrainState<T>();
            await inner.ReadStateAsync(stateName, grainId, other);
            await inner.WriteStateAsync(stateName, grainId, other);
        }
        await inner.WriteStateAsync(stateName, grainId, grainState);
        _written.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class SupersedingStorageFixture : ClusterFixture
{
    public SupersedingStorage? Storage { get; private set; }
    public SupersedingStorage? RiskStorage { get; private set; }

    protected override short Silos => 1;

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.Configure<AnalyticsOptions>(o => o.FlushInterval = TimeSpan.FromMilliseconds(200));
        var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Analytics));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Analytics, (sp, key) =>
            Storage = new SupersedingStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key)));
        var risk = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Risk));
        services.Remove(risk);
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Risk, (sp, key) =>
            RiskStorage = new SupersedingStorage((IGrainStorage)risk.KeyedImplementationFactory!(sp, key)));
    }
}

/// <summary>
/// An analytics grain or risk counter whose state another activation wrote can never write again with its own ETag: it must leave so
/// the next activation loads the other's counters, instead of failing every flush for as long as it lives.
/// </summary>
public sealed class SupersededStateTests(SupersedingStorageFixture fixture) : IClassFixture<SupersedingStorageFixture>
{
    [Fact]
    public async Task An_analytics_grain_superseded_by_another_activations_write_reloads_and_writes_again()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 5);
        var viewers = await shop.RegisterBuyersAsync(3);
        await shop.Room.Join(viewers[0]);
        var storage = await WaitAsync(() => Task.FromResult(fixture.Storage), s => s is not null && s.Writes(shop.RoomId) > 0);
        var before = storage!.Writes(shop.RoomId);

        storage.SupersedeNextWrite(shop.RoomId);
        await shop.Room.Join(viewers[1]);   // the next flush meets the other activation's ETag
        await Task.Delay(1000);
        await shop.Room.Join(viewers[2]);   // reaches a fresh activation, whose flush succeeds

        var after = await WaitAsync(() => Task.FromResult(storage.Writes(shop.RoomId)), n => n > before);
        Assert.True(after > before, "the room's analytics never wrote again after another activation's write");
    }

    [Fact]
    public async Task A_risk_scope_counter_superseded_by_another_activations_write_reloads_the_others_counts()
    {
        var scope = "room:sup-" + Guid.NewGuid().ToString("N")[..8];
        var counter = fixture.Client.GetGrain<LiveCommerce.Contracts.Risk.IScopeCounterGrain>(scope);
        var hour = fixture.Clock.GetUtcNow();
        await counter.SeedOrders(hour, 5);                       // written (seeding writes at once)
        var storage = fixture.RiskStorage!;
        var before = storage.Writes(scope);

        storage.SupersedeNextWrite(scope);
        await counter.SeedOrders(hour, 3);                       // meets the other activation's write: these 3 are lost, as in a crash
        await counter.SeedOrders(hour, 2);                       // a fresh activation loaded the other's 5

        var written = await WaitAsync(() => Task.FromResult(storage.Writes(scope)), n => n > before);
        Assert.True(written > before, "the scope counter never wrote again after another activation's write");
        Assert.Equal(7, (await counter.Read(hour)).OrdersThisHour);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        for (var attempt = 0; ; attempt++)
        {
            var value = await read();
            if (done(value) || attempt == 100) return value;
            await Task.Delay(100);
        }
    }
}
