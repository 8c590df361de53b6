using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// A two-silo in-process cluster with the production runtime configuration (embedded providers) and a
/// fake clock shared by every silo.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    protected virtual short Silos => 2;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddLiveCommerceRuntime(new LiveCommerceOptions());
            silo.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
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
