using System.Net;
using Npgsql;

namespace LiveCommerce.Grains.Hosting;

/// <summary>Which infrastructure the process runs on.</summary>
public enum HostingProfile
{
    /// <summary>Localhost clustering, in-memory storage, reminders and streams. Needs nothing installed.</summary>
    Embedded,
    /// <summary>AdoNet clustering, storage and reminders on PostgreSQL; several silos form one cluster.</summary>
    Postgres,
}

/// <summary>The <c>LiveCommerce</c> configuration section shared by the silo and the front door.</summary>
public sealed class LiveCommerceOptions
{
    public const string Section = "LiveCommerce";

    public HostingProfile Profile { get; set; } = HostingProfile.Embedded;
    public string ClusterId { get; set; } = "livecommerce";
    public string ServiceId { get; set; } = "livecommerce";
    public SiloEndpointSettings Silo { get; set; } = new();
    public PostgresSettings Postgres { get; set; } = new();
    public TelemetrySettings Telemetry { get; set; } = new();
    /// <summary>Mutual TLS on Orleans connections (silo to silo, client to gateway); see <see cref="ClusterTransportSecurity"/>.</summary>
    public ClusterTlsSettings ClusterTls { get; set; } = new();

    /// <summary>The Orleans dashboard (silo statistics collection and the /dashboard pages).</summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>Reads the section, with the defaults above for anything missing.</summary>
    public static LiveCommerceOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<LiveCommerceOptions>() ?? new LiveCommerceOptions();
}

public sealed class SiloEndpointSettings
{
    public const string Section = "LiveCommerce:Silo";

    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    /// <summary>The address other silos and clients use to reach this silo.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The address the silo and gateway ports listen on (postgres profile): an interface address, or <c>0.0.0.0</c> for
    /// every interface. Default: <see cref="AdvertisedAddress"/>, so a local cluster listens on loopback only.
    /// </summary>
    public string? ListenAddress { get; set; }

    public IPAddress AdvertisedIp() => IPAddress.Parse(AdvertisedAddress);

    public IPAddress ListenIp() => string.IsNullOrWhiteSpace(ListenAddress) ? AdvertisedIp() : IPAddress.Parse(ListenAddress);
}

public sealed class PostgresSettings
{
    public string ConnectionString { get; set; } =
        "Host=127.0.0.1;Port=5432;Database=livecommerce;Username=livecommerce;Password=livecommerce;SSL Mode=Disable;No Reset On Close=true;Max Auto Prepare=32";

    /// <summary>
    /// Connections one process may hold, across its two pools (the Orleans providers' and the ledger data source's,
    /// half each). N silos + front doors must stay under PostgreSQL's max_connections (100 by default):
    /// 3 silos x 20 + 1 front door x 20 = 80 leaves room for psql and pgbench.
    /// </summary>
    public int MaxPoolSize { get; set; } = 20;

    /// <summary>Apply deploy/postgres/*.sql before the silo starts.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>The configured connection string with one pool's share of <see cref="MaxPoolSize"/> applied.</summary>
    public string EffectiveConnectionString()
    {
        var perPool = Math.Max(2, (MaxPoolSize + 1) / 2);
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = perPool };
        if (builder.MinPoolSize > perPool) builder.MinPoolSize = 0;
        return builder.ConnectionString;
    }
}

public sealed class TelemetrySettings
{
    /// <summary><c>none</c> (default), <c>console</c> or <c>otlp</c>.</summary>
    public string Exporter { get; set; } = "none";
    /// <summary>OTLP endpoint when <see cref="Exporter"/> is <c>otlp</c>.</summary>
    public string? OtlpEndpoint { get; set; }
}
