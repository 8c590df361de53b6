using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// The one place a silo is configured, used by the silo host (src/Silo) and by the front door when it
/// co-hosts a silo in the embedded profile, so both run exactly the same grains and providers.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>The AdoNet providers look the Npgsql factory up by this invariant name.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    public static ISiloBuilder AddLiveCommerce(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = LiveCommerceOptions.From(configuration);
        var endpoint = options.Silo;

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        switch (options.Profile)
        {
            case HostingProfile.Embedded:
                silo.UseLocalhostClustering(endpoint.SiloPort, endpoint.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
                foreach (var name in StorageNames.All) silo.AddMemoryGrainStorage(name);
                silo.UseInMemoryReminderService();
                break;

            case HostingProfile.Postgres:
                var connectionString = options.Postgres.EffectiveConnectionString();
                silo.ConfigureEndpoints(endpoint.AdvertisedIp(), endpoint.SiloPort, endpoint.GatewayPort, listenOnAnyHostAddress: true);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = connectionString;
                });
                foreach (var name in StorageNames.All)
                {
                    silo.AddAdoNetGrainStorage(name, o => o.Configure<Serializer>((storage, serializer) =>
                    {
                        storage.Invariant = NpgsqlInvariant;
                        storage.ConnectionString = connectionString;
                        // Orleans' binary serializer is version tolerant through the [Id] attributes on
                        // every state class, and several times cheaper than JSON on the hot paths.
                        storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                    }));
                }
                silo.UseAdoNetReminderService(o =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = connectionString;
                });
                break;

            default:
                throw new InvalidOperationException($"Unknown profile '{options.Profile}'.");
        }

        // Domain events travel on memory streams; their pub-sub subscriptions are kept in PubSubStore
        // (AdoNet in the postgres profile, so subscriptions survive restarts).
        silo.AddMemoryStreams(StreamNames.Provider);
        silo.AddActivityPropagation();
        silo.AddDashboard();

        silo.Services.AddSingleton(options);
        silo.Services.TryAddSingleton(TimeProvider.System);
        return silo;
    }
}
