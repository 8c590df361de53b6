using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Grains.Payments.Splits;
using LiveCommerce.Grains.Rooms;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// The one place a silo is configured, used by the silo host (src/Silo), by the front door when it
/// co-hosts a silo in the embedded profile, and by the tests, so all run the same grains and providers.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>The AdoNet providers look the Npgsql factory up by this invariant name.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>How long the merchant order list may lag its order events (one projection write per silo per interval).</summary>
    public static readonly TimeSpan MerchantOrderWriteInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Clustering, endpoints, storage, reminders, streams and services from configuration.</summary>
    public static ISiloBuilder AddLiveCommerce(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = LiveCommerceOptions.From(configuration);
        SecretPolicy.Ensure(configuration, HostSecrets.Silo);
        EnsureCallbackUrl(configuration, options);
        // Fail fast when another process on this machine holds our silo or gateway port.
        silo.Services.AddSingleton<PortGuard>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PortGuard>());
        silo.AddLiveCommerceClustering(options);
        return silo.AddLiveCommerceRuntime(options);
    }

    /// <summary>
    /// The sandbox provider POSTs callbacks to the front door. Its default address (127.0.0.1:5080) is only right for a
    /// front door started with its defaults, so outside the embedded profile (where the front door derives it from
    /// its own bound address) it must be configured: otherwise payments are confirmed only by reconciliation.
    /// </summary>
    public static void EnsureCallbackUrl(IConfiguration configuration, LiveCommerceOptions options)
    {
        if (options.Profile == HostingProfile.Embedded) return;
        var url = configuration[SandboxGatewayOptions.Section + ":CallbackUrl"];
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException(
                $"{SandboxGatewayOptions.Section}:CallbackUrl must be set to the front door's callback address as silos reach it " +
                "(e.g. http://livecommerce-api/v1/payments/callbacks/sandbox) outside the embedded profile.");
    }

    /// <summary>
    /// How this silo finds the others (localhost in the embedded profile, the AdoNet membership table in the postgres
    /// profile), where it listens, and mutual TLS on its connections (required outside the embedded profile).
    /// </summary>
    public static ISiloBuilder AddLiveCommerceClustering(this ISiloBuilder silo, LiveCommerceOptions options)
    {
        var endpoint = options.Silo;
        silo.AddLiveCommerceClusterTls(options);
        silo.AddLiveCommerceFailureDetection(tuned: options.Profile != HostingProfile.Embedded);
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

        // Listening on the configured address only (loopback unless said otherwise), not on every interface.
        var listen = endpoint.ListenIp();
        silo.Configure<EndpointOptions>(o =>
        {
            o.AdvertisedIPAddress = endpoint.AdvertisedIp();
            o.SiloPort = endpoint.SiloPort;
            o.GatewayPort = endpoint.GatewayPort;
            o.SiloListeningEndpoint = new System.Net.IPEndPoint(listen, endpoint.SiloPort);
            o.GatewayListeningEndpoint = new System.Net.IPEndPoint(listen, endpoint.GatewayPort);
        });
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
            // The same binary serializer as the postgres profile: memory storage defaults to Newtonsoft JSON with type
            // names, which cannot read back the read-only lists C# collection expressions build (a reviewed order's
            // decision reasons), so such an order answered 500 once its activation was collected.
            foreach (var name in StorageNames.All)
                silo.AddMemoryGrainStorage(name, o => o.Configure<Serializer>((storage, serializer) =>
                    storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
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
        silo.AddMemoryStreams(LiveCommerce.Contracts.Events.EventStreams.Provider);
        // Both wrap every grain call in a filter: tracing only when an exporter is configured, the dashboard's
        // profiler only when the dashboard is on (it costs ~6% of a silo's CPU under load).
        if (!string.Equals(options.Telemetry.Exporter, "none", StringComparison.OrdinalIgnoreCase)) silo.AddActivityPropagation();
        if (options.Dashboard) silo.AddDashboard();

        silo.Services.TryAddSingleton(options);
        silo.Services.AllowDatabaseExceptions();
        silo.Services.TryAddKeyedSingleton(DomainClock.Key, TimeProvider.System);
        silo.Services.AddLiveCommerceDomain(options);
        silo.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<OrderPolicy>>((collection, orders) =>
            collection.ClassSpecificCollectionAge[typeof(Orders.OrderGrain).FullName!] = orders.Value.IdleActivationAge);
        // The reconciliation grain registers its own reminder when it first activates.
        silo.AddStartupTask(async (services, _) =>
            await services.GetRequiredService<IGrainFactory>().Ref<IPaymentReconciliationGrain>("sandbox").GetStatus());
        return silo;
    }

    /// <summary>Domain settings (every number an operator setting), stores and the payment gateway.</summary>
    public static IServiceCollection AddLiveCommerceDomain(this IServiceCollection services, LiveCommerceOptions options)
    {
        services.AddOptions<OrderPolicy>().BindConfiguration(OrderPolicy.Section);
        services.AddOptions<AfterSalePolicy>().BindConfiguration(AfterSalePolicy.Section);
        services.AddOptions<RoomSettings>().BindConfiguration(RoomSettings.Section);
        services.AddOptions<Rooms.Channel.RoomChannelSettings>().BindConfiguration(Rooms.Channel.RoomChannelSettings.Section);
        services.AddOptions<TrafficSettings>().BindConfiguration(TrafficSettings.Section);
        services.AddOptions<SettlementOptions>().BindConfiguration(SettlementOptions.Section);
        services.AddOptions<BusinessCalendarOptions>().BindConfiguration(BusinessCalendar.Section);
        services.AddOptions<SplitPolicy>().BindConfiguration(SplitPolicy.Section);
        services.AddOptions<SandboxGatewayOptions>().BindConfiguration(SandboxGatewayOptions.Section);
        services.AddOptions<Analytics.AnalyticsOptions>().BindConfiguration(Analytics.AnalyticsOptions.Section);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<SplitPolicy>>().Value);
        services.TryAddSingleton(sp => new BusinessCalendar(sp.GetRequiredService<IOptions<BusinessCalendarOptions>>().Value));
        services.AddOptions<Risk.RiskCountingOptions>().BindConfiguration(Risk.RiskCountingOptions.Section);
        services.TryAddSingleton<Risk.ScopeCounts>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Risk.ScopeCounts>());

        if (options.Profile == HostingProfile.Postgres)
        {
            services.TryAddSingleton(_ => NpgsqlDataSource.Create(options.Postgres.EffectiveConnectionString()));
            services.TryAddSingleton<ISettlementStore, PostgresSettlementStore>();
            services.TryAddSingleton<ISandboxStore, PostgresSandboxStore>();
            services.TryAddSingleton<IRoomStockLedger, PostgresRoomStockLedger>();
            services.TryAddSingleton<Merchants.IMerchantOrderStore>(sp => new Merchants.GroupCommittedMerchantOrderStore(
                new Merchants.PostgresMerchantOrderStore(sp.GetRequiredService<NpgsqlDataSource>()), MerchantOrderWriteInterval));
            services.TryAddSingleton<Platform.Webhooks.IWebhookStore, Platform.Webhooks.PostgresWebhookStore>();
        }
        else
        {
            // Process-wide, so the silos of an in-process test cluster share them like they would share a database.
            services.TryAddSingleton<ISettlementStore>(EmbeddedStores.Settlement);
            services.TryAddSingleton<ISandboxStore>(EmbeddedStores.Sandbox);
            services.TryAddSingleton<IRoomStockLedger>(EmbeddedStores.RoomStock);
            services.TryAddSingleton<Merchants.IMerchantOrderStore>(EmbeddedStores.MerchantOrders);
            services.TryAddSingleton<Platform.Webhooks.IWebhookStore>(EmbeddedStores.Webhooks);
        }
        services.AddLiveCommerceWebhooks(options);

        services.AddHttpClient(nameof(HttpPaymentCallbackSender));
        services.TryAddSingleton<IPaymentCallbackSender, HttpPaymentCallbackSender>();
        services.TryAddSingleton<IPaymentGateway, SandboxGateway>();
        return services;
    }

    /// <summary>
    /// Webhook delivery: the event log writer, the signed sender and its HTTP client. The client follows no redirect,
    /// uses no proxy or cookies, has no timeout of its own (the sender's is the one) and connects only through the
    /// SSRF guard, which allows private targets only in the embedded profile or when configured for loopback tests.
    /// </summary>
    public static IServiceCollection AddLiveCommerceWebhooks(this IServiceCollection services, LiveCommerceOptions options)
    {
        services.AddOptions<Platform.Webhooks.WebhookOptions>().BindConfiguration(Platform.Webhooks.WebhookOptions.Section);
        services.TryAddSingleton(sp => new Platform.Webhooks.WebhookTargetGuard(options.Profile == HostingProfile.Embedded
            || sp.GetRequiredService<IOptions<Platform.Webhooks.WebhookOptions>>().Value.AllowPrivateTargets));
        services.TryAddSingleton<Platform.Webhooks.WebhookEventLog>();
        services.TryAddSingleton<Platform.Webhooks.WebhookSender>();
        services.AddHttpClient(Platform.Webhooks.WebhookSender.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<Platform.Webhooks.WebhookTargetGuard>().ConnectAsync,
            });
        return services;
    }
}
