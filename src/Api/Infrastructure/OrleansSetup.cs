using LiveCommerce.Grains.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace LiveCommerce.Api.Infrastructure;

public static class OrleansSetup
{
    /// <summary>
    /// Embedded profile: co-host one silo (unless LiveCommerce:Api:CoHostSilo is false, then connect to a
    /// localhost gateway). Postgres profile: a pure client that finds gateways in the AdoNet membership table.
    /// </summary>
    public static void AddOrleans(this WebApplicationBuilder builder, LiveCommerceOptions options)
    {
        var coHost = options.Profile == HostingProfile.Embedded && builder.Configuration.GetValue("LiveCommerce:Api:CoHostSilo", true);
        if (coHost)
        {
            builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
            BoundAddressCallbackSender.Register(builder);
            return;
        }

        builder.UseOrleansClient(client => ConfigureClient(client, options));
    }

    /// <summary>The front door's Orleans client: cluster ids, how it finds gateways, mutual TLS, dashboard client.</summary>
    public static IClientBuilder ConfigureClient(IClientBuilder client, LiveCommerceOptions options)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (options.Profile == HostingProfile.Postgres)
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = SiloConfiguration.NpgsqlInvariant;
                o.ConnectionString = options.Postgres.EffectiveConnectionString();
            });
        }
        else
        {
            client.UseLocalhostClustering(options.Silo.GatewayPort, options.ServiceId, options.ClusterId);
        }
        // Mutual TLS to the gateways; outside the embedded profile the front door refuses to start without it.
        client.AddLiveCommerceClusterTls(options);
        client.AddLiveCommerceFailureDetection();
        client.AddGatewayCountChangedHandler(sp =>
        {
            var signal = sp.GetRequiredService<GatewayLossSignal>();
            return (_, e) => signal.OnGatewayCountChanged(e.NumberOfConnectedGateways, e.PreviousNumberOfConnectedGateways);
        });
        if (options.Dashboard) client.AddDashboard();
        client.Services.AllowDatabaseExceptions();
        return client;
    }
}
