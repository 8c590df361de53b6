using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// The one place a silo is configured, used by the silo host (src/Silo), by the front door when it
/// co-hosts a silo in the embedded profile, and by the tests, so all run the same grains and providers.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>The AdoNet providers look the Npgsql factory up by this invariant name.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>Clustering, endpoints, storage, reminders, streams and services from configuration.</summary>
    public static ISiloBuilder AddLiveCommerce(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = LiveCommerceOptions.From(configuration);
        silo.AddLiveCommerceClustering(options);
        return silo.AddLiveCommerceRuntime(options);
    }

    /// <summary>How this silo finds the others: localhost (embedded) or the AdoNet membership table (postgres).</summary>
    public static ISiloBuilder AddLiveCommerceClustering(this ISiloBuilder silo, LiveCommerceOptions options)
    {
        var endpoint = options.Silo;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (options.Profile == HostingProfile.Embedded)
        {
            silo.UseLocalhostClustering(endpoint.SiloPort, endpoint.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            return silo;
        }

        silo.ConfigureEndpoints(endpoint.AdvertisedIp(), endpoint.SiloPort, endpoint.GatewayPort, listenOnAnyHostAddress: true);
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = options.Postgres.EffectiveConnectionString();
        });
        return silo;
    }

    /// <summary>Everything but clustering: grain storage, reminders, streams, dashboard and our services.</summary>
    public static ISiloBuilder AddLiveCommerceRuntime(this ISiloBuilder silo, LiveCommerceOptions options)
    {
        if (options.Profile == HostingProfile.Embedded)
        {
            foreach (var name in StorageNames.All) silo.AddMemoryGrainStorage(name);
            silo.UseInMemoryReminderService();
        }
        else
        {
            var connectionString = options.Postgres.EffectiveConnectionString();
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
        }

        // Domain events travel on memory streams; their pub-sub subscriptions are kept in PubSubStore
        // (AdoNet in the postgres profile, so subscriptions survive restarts).
        silo.AddMemoryStreams(StreamNames.Provider);
        silo.AddActivityPropagation();
        silo.AddDashboard();

        silo.Services.TryAddSingleton(options);
        silo.Services.TryAddSingleton(TimeProvider.System);
        return silo;
    }
}
