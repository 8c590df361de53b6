using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// How fast a dead silo is declared dead and routed around, and how a silo leaves on SIGTERM. Orleans' defaults suit
/// large clusters on shared networks (a dead silo is declared after ~15-30 s); this deployment's defaults are tighter
/// (see docs/ARCHITECTURE.md, "Failure detection"), and every value can be set under <see cref="MembershipSection"/>
/// (silos: any <see cref="ClusterMembershipOptions"/> property) and <see cref="ClientSection"/> (front doors).
/// </summary>
public static class FailureDetection
{
    public const string MembershipSection = "LiveCommerce:Membership";
    public const string ClientSection = "LiveCommerce:Api:Cluster";
    public const string ShutdownTimeoutSetting = "LiveCommerce:Silo:ShutdownTimeout";
    public const string SiloResponseTimeoutSetting = "LiveCommerce:Silo:ResponseTimeout";
    public static readonly TimeSpan DefaultSiloResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Our membership defaults; configuration overrides any of them.</summary>
    public static void ApplyDefaults(ClusterMembershipOptions o)
    {
        // A silo is probed every ~ProbeTimeout and suspected after NumMissedProbesLimit misses in a row: 3 x ~1.5 s.
        // The bounds keep the adaptive timeout from stretching to 4x on a slow box (which would mean ~25 s to detect).
        o.ProbeTimeout = TimeSpan.FromSeconds(1.5);
        o.MinProbeTimeout = TimeSpan.FromSeconds(1);
        o.MaxProbeTimeout = TimeSpan.FromSeconds(3);
        o.NumMissedProbesLimit = 3;
        // Two voters where there are enough silos; Orleans needs only a majority of the live ones (1 of 2).
        o.NumVotesForDeathDeclaration = 2;
        // A vote older than this no longer counts: an old suspicion is not added to a fresh one.
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        // Heartbeat and table refresh: a silo that missed the gossip still learns of a death within ~10 s.
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>Membership, and how long a stopping silo may take to hand over (deactivate, flush, leave the table).</summary>
    public static ISiloBuilder AddLiveCommerceFailureDetection(this ISiloBuilder silo, bool tuned)
    {
        silo.Services.AddOptions<ClusterMembershipOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            if (tuned) ApplyDefaults(o);
            configuration.GetSection(MembershipSection).Bind(o);
        });
        // Silo-to-silo call timeout, 10 s instead of Orleans' 30 s: a graceful stop drops a few queued requests
        // (dotnet/orleans#2287), and their callers then waited 30 s, past the front door's retry budget, holding every
        // request queued behind them. 10 s first showed books apart from the database; that was two activations of
        // one account or room saving over each other, which the versioned saves now refuse (docs/BENCHMARKS.md).
        if (tuned) silo.Services.AddOptions<SiloMessagingOptions>().Configure<IConfiguration>((o, configuration) =>
            o.ResponseTimeout = configuration.GetValue(SiloResponseTimeoutSetting, DefaultSiloResponseTimeout));

        // How long SIGTERM leaves the silo to stop gracefully (the host's default is 30 s). The embedded profile's host is
        // the front door, which sets its own.
        if (tuned) silo.Services.AddOptions<HostOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            if (configuration.GetValue<TimeSpan?>(ShutdownTimeoutSetting) is { } timeout) o.ShutdownTimeout = timeout;
        });
        return silo;
    }

    /// <summary>
    /// The front door's client: refresh the gateway list often (a dead gateway is dropped, a restarted one used again
    /// within seconds rather than a minute), and give up on an unreachable gateway quickly.
    /// </summary>
    public static IClientBuilder AddLiveCommerceFailureDetection(this IClientBuilder client)
    {
        client.Services.AddOptions<GatewayOptions>().Configure<IConfiguration>((o, configuration) =>
            o.GatewayListRefreshPeriod = configuration.GetValue($"{ClientSection}:GatewayListRefreshPeriod", TimeSpan.FromSeconds(5)));
        client.Services.AddOptions<ConnectionOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            o.OpenConnectionTimeout = configuration.GetValue($"{ClientSection}:OpenConnectionTimeout", TimeSpan.FromSeconds(2));
            o.ConnectionRetryDelay = configuration.GetValue($"{ClientSection}:ConnectionRetryDelay", TimeSpan.FromSeconds(1));
        });
        client.Services.AddOptions<ClientMessagingOptions>().Configure<IConfiguration>((o, configuration) =>
            o.ResponseTimeout = configuration.GetValue($"{ClientSection}:ResponseTimeout", TimeSpan.FromSeconds(30)));
        return client;
    }
}
