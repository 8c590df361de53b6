using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// A two-silo in-process cluster with the production runtime configuration (embedded providers), a fake clock
/// shared by every silo, and payment callbacks delivered straight to the order grains (as the front door would
/// after checking the signature).
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    /// <summary>This cluster's own provider records and ledger (shared by its silos, like a database would be).</summary>
    public InMemorySandboxStore Sandbox { get; } = new();
    // Its webhook events go to the log the silos read: the embedded profile's process-wide one.
    public InMemorySettlementStore Settlement { get; } = new(LiveCommerce.Grains.Hosting.EmbeddedStores.Webhooks);
    public LiveCommerce.Grains.Rooms.InMemoryRoomStockLedger RoomStock { get; } = new();

    protected virtual short Silos => 2;

    /// <summary>Adjusts silo services (sandbox fault rates, policies) after the production registrations.</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddLiveCommerceRuntime(new LiveCommerceOptions());
            silo.Services.UseDomainClock(Clock);
            silo.Services.Replace(ServiceDescriptor.Singleton<IPaymentCallbackSender, DirectCallbackSender>());
            silo.Services.Replace(ServiceDescriptor.Singleton<ISandboxStore>(Sandbox));
            silo.Services.Replace(ServiceDescriptor.Singleton<ISettlementStore>(Settlement));
            silo.Services.Replace(ServiceDescriptor.Singleton<LiveCommerce.Grains.Rooms.IRoomStockLedger>(RoomStock));
            silo.Services.Configure<SandboxGatewayOptions>(o => o.CompletionDelay = TimeSpan.FromMilliseconds(50));
            // Risk tests assert each rule at its exact boundary with orders landing on either silo: scope counts are
            // exchanged per order here; the default (a sync every 250 ms) is covered by ScopeCountsTests.
            silo.Services.Configure<LiveCommerce.Grains.Risk.RiskCountingOptions>(o => o.ScopeSyncInterval = TimeSpan.Zero);
            ConfigureServices(silo.Services);
        });
        builder.ConfigureClient(client =>
        {
            client.AddMemoryStreams(EventStreams.Provider);
            client.Services.AllowDatabaseExceptions();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
