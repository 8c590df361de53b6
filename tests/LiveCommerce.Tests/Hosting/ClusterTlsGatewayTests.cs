using System.Net;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;

namespace LiveCommerce.Tests.Hosting;

/// <summary>
/// A real silo host on free loopback ports, configured the way its profile's production host is (TLS from
/// <c>LiveCommerce:ClusterTls</c>), and Orleans clients that try to call grains through its gateway: outsiders without
/// a certificate, with one from another authority, or that do not trust the silo, fail; the front door's client with
/// a certificate of the cluster's authority succeeds.
/// </summary>
public abstract class ClusterTlsGatewayTests<TFixture>(TFixture fixture) where TFixture : TlsSiloFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CreateStreamerProfile Forged => new("Forged", "Nowhere");

    private const string ServerTls = "Orleans.Connections.Security.TlsServerConnectionMiddleware";
    private const string ClientTls = "Orleans.Connections.Security.TlsClientConnectionMiddleware";

    /// <summary>Starts a client host, calls a grain with it and stops it; any failure on the way is the client's failure.</summary>
    private static async Task CallThroughClientAsync(Action<IClientBuilder> configure, string streamerId, LogCapture logs, CancellationToken cancellation)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.UseOrleansClient(configure);
        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellation);
            var client = host.Services.GetRequiredService<IClusterClient>();
            await client.GetGrain<IStreamerGrain>(streamerId).CreateProfile(Forged).WaitAsync(cancellation);
        }
        finally
        {
            try { await host.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* the client may never have started */ }
        }
    }

    /// <summary>
    /// An outsider's attempt: it must not succeed, a TLS refusal must be logged by the side that refuses (an Orleans
    /// client keeps retrying a gateway that refuses it, so the attempt is stopped once the refusal is seen), and no
    /// streamer may exist afterwards (asked from inside the silo).
    /// </summary>
    private async Task AssertRefusedAsync(Action<IClientBuilder> configure, Func<IEnumerable<LogCapture.Entry>, IEnumerable<LogCapture.Entry>, bool> refusal)
    {
        fixture.RequireSilo();
        var streamerId = "tls-outsider-" + Guid.NewGuid().ToString("N")[..8];
        var clientLogs = new LogCapture();
        var siloLogsBefore = fixture.Logs.Entries.Count;
        IEnumerable<LogCapture.Entry> SiloLogs() => fixture.Logs.Entries.Skip(siloLogsBefore);

        using var stop = new CancellationTokenSource(Patience);
        var attempt = CallThroughClientAsync(configure, streamerId, clientLogs, stop.Token);
        while (!attempt.IsCompleted && !stop.IsCancellationRequested && !refusal(SiloLogs(), clientLogs.Entries))
            await Task.WhenAny(attempt, Task.Delay(100));
        var refusedInTime = refusal(SiloLogs(), clientLogs.Entries);
        await Task.Delay(500); // room for a call that would have got through anyway
        stop.Cancel();
        var outcome = await Record.ExceptionAsync(() => attempt);

        Assert.NotNull(outcome); // the call did not succeed
        Assert.True(refusedInTime, "no TLS refusal was logged; silo said: " + string.Join(" | ", SiloLogs().Select(e => e.Category + ": " + e.Message)) +
            "; client said: " + string.Join(" | ", clientLogs.Entries.Select(e => e.Category + ": " + e.Message)));
        var lookup = await Assert.ThrowsAsync<DomainException>(() => fixture.InsideClient.GetGrain<IStreamerGrain>(streamerId).GetProfile());
        Assert.Equal(ErrorKind.NotFound, lookup.Kind);
    }

    private static bool Logged(IEnumerable<LogCapture.Entry> entries, string category, string text) =>
        entries.Any(e => e.Category == category && (e.Message.Contains(text) || (e.Exception?.ToString().Contains(text) ?? false)));

    [Fact]
    public Task A_client_without_tls_cannot_call_a_grain_through_the_gateway() =>
        // The reproduction of the issue: a bare Orleans client that knows the gateway's address and the cluster's ids.
        AssertRefusedAsync(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (fixture.Options.ClusterId, fixture.Options.ServiceId));
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, fixture.Options.Silo.GatewayPort));
        }, (silo, _) => Logged(silo, ServerTls, "Authentication failed"));

    [Fact]
    public Task A_tls_client_without_a_certificate_cannot_call_a_grain() =>
        // It trusts the cluster's authority (its certificate is public), so it would accept the silo, but has nothing to show.
        AssertRefusedAsync(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (fixture.Options.ClusterId, fixture.Options.ServiceId));
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, fixture.Options.Silo.GatewayPort));
            var authorities = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            authorities.ImportFromPemFile(TestCertificates.Cluster.CaPath);
            client.UseTls(tls =>
            {
                tls.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.NoCertificate;
                tls.RemoteCertificateValidation = new ClusterPeerValidator(authorities, ClusterTransportSecurity.ServerAuthentication).Validate;
            });
        }, (silo, _) => Logged(silo, ServerTls, "RemoteCertificateValidationCallback"));

    [Fact]
    public Task A_client_with_a_certificate_from_another_authority_cannot_call_a_grain()
    {
        // The front door's own client set-up, with a well-formed client certificate that another authority issued; it
        // trusts the cluster's authority too, so only the silo's check of the client stands between it and the grains.
        var outsider = TestCertificates.Create("outsider-ca");
        var tls = outsider.Settings(outsider.Issue("front-door", ClusterRole.Client), "client");
        tls[ClusterTlsSettings.Section + ":CaCertificatePath"] = TestCertificates.Cluster.CaPath;
        // Its own certificate does not chain to the authority it trusts, so the client refuses to start at all
        // (ClusterTlsMaterial checks); a hand-built client with the same files is what an attacker would use.
        var authorities = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        authorities.ImportFromPemFile(TestCertificates.Cluster.CaPath);
        var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            tls[ClusterTlsSettings.Section + ":CertificatePath"]!, tls[ClusterTlsSettings.Section + ":KeyPath"]);
        Assert.Throws<InvalidOperationException>(() => OrleansSetup.ConfigureClient(new ProbeClientBuilder(), fixture.ClientOptions(tls)));
        return AssertRefusedAsync(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (fixture.Options.ClusterId, fixture.Options.ServiceId));
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, fixture.Options.Silo.GatewayPort));
            client.UseTls(certificate, o =>
            {
                o.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                o.RemoteCertificateValidation = new ClusterPeerValidator(authorities, ClusterTransportSecurity.ServerAuthentication).Validate;
            });
        }, (silo, _) => Logged(silo, typeof(ClusterTransportSecurity).FullName!, "CN=outsider-ca"));
    }

    [Fact]
    public Task A_client_that_does_not_trust_the_silos_authority_does_not_send_it_calls()
    {
        // Mutual: a proper client certificate, but the client trusts only another authority, so the silo it reaches is
        // not one of its cluster's (as a rogue silo registered in the membership table would not be).
        var other = TestCertificates.Create("other-trust-ca");
        var tls = TestCertificates.Cluster.ClientSettings;
        var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            tls[ClusterTlsSettings.Section + ":CertificatePath"]!, tls[ClusterTlsSettings.Section + ":KeyPath"]);
        var trusted = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(other.Authority);
        return AssertRefusedAsync(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (fixture.Options.ClusterId, fixture.Options.ServiceId));
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, fixture.Options.Silo.GatewayPort));
            client.UseTls(certificate, o =>
            {
                o.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                o.RemoteCertificateValidation = new ClusterPeerValidator(trusted, ClusterTransportSecurity.ServerAuthentication).Validate;
            });
        }, (_, client) => Logged(client, ClientTls, "RemoteCertificateValidationCallback"));
    }

    [Fact]
    public async Task The_front_doors_client_with_a_cluster_certificate_calls_grains()
    {
        fixture.RequireSilo();
        var streamerId = "tls-member-" + Guid.NewGuid().ToString("N")[..8];
        var options = fixture.ClientOptions(TestCertificates.Cluster.ClientSettings);
        using var patience = new CancellationTokenSource(Patience);
        await CallThroughClientAsync(client => OrleansSetup.ConfigureClient(client, options), streamerId, new LogCapture(), patience.Token);
        var profile = await fixture.InsideClient.GetGrain<IStreamerGrain>(streamerId).GetProfile();
        Assert.Equal(Forged.DisplayName, profile.DisplayName);
    }

    /// <summary>An <see cref="IClientBuilder"/> that only collects registrations: to see whether a set-up throws.</summary>
    private sealed class ProbeClientBuilder : IClientBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }
}

/// <summary>One TLS silo host for a test class, and the settings its clients start from.</summary>
public abstract class TlsSiloFixture : IAsyncLifetime
{
    private IHost? _silo;
    private string? _skip;

    public LiveCommerceOptions Options { get; private set; } = new();
    public LogCapture Logs { get; } = new();
    protected Dictionary<string, string?> Settings { get; } = [];

    /// <summary>A client inside the silo process (no network, no TLS): the test's trusted view of the grains.</summary>
    public IClusterClient InsideClient => _silo!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's settings; null to skip (no PostgreSQL).</summary>
    protected abstract Task<Dictionary<string, string?>?> SiloSettingsAsync();

    public void RequireSilo()
    {
        if (_skip is not null) Assert.Skip(_skip);
    }

    /// <summary>The silo's settings with <paramref name="tls"/> instead of its own certificate: what a client of this cluster reads.</summary>
    public LiveCommerceOptions ClientOptions(IDictionary<string, string?> tls)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in tls) settings[key] = value;
        settings["LiveCommerce:Dashboard"] = "false";
        return LiveCommerceOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    }

    public async ValueTask InitializeAsync()
    {
        var settings = await SiloSettingsAsync();
        if (settings is null)
        {
            _skip = $"{PostgresDatabase.Variable} is not set: run tests/run-tests.sh, which starts PostgreSQL and sets it.";
            return;
        }
        foreach (var (key, value) in settings) Settings[key] = value;
        Settings["LiveCommerce:ClusterId"] = "tls-" + Guid.NewGuid().ToString("N")[..8];
        Settings["LiveCommerce:ServiceId"] = Settings["LiveCommerce:ClusterId"];
        Settings["LiveCommerce:Silo:SiloPort"] = FreePorts.Next().ToString();
        Settings["LiveCommerce:Silo:GatewayPort"] = FreePorts.Next().ToString();
        Settings["LiveCommerce:Dashboard"] = "false";
        foreach (var (key, value) in TestCertificates.Cluster.SiloSettings) Settings[key] = value;
        if (settings.TryGetValue(ClusterTlsSettings.Section + ":Enabled", out var enabled)) Settings[ClusterTlsSettings.Section + ":Enabled"] = enabled;

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        Options = LiveCommerceOptions.From(builder.Configuration);
        // The production silo's configuration (src/Silo/Program.cs calls the same).
        builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
        _silo = builder.Build();
        await _silo.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_silo is null) return;
        try { await _silo.StopAsync(TimeSpan.FromSeconds(30)); }
        finally { _silo.Dispose(); }
    }
}

/// <summary>The postgres profile: TLS is on because the profile requires it (no Enabled setting).</summary>
public sealed class PostgresTlsSiloFixture : TlsSiloFixture
{
    protected override async Task<Dictionary<string, string?>?> SiloSettingsAsync()
    {
        if (string.IsNullOrEmpty(PostgresDatabase.ConnectionString)) return null;
        var connectionString = await PostgresDatabase.RequireAsync();
        return new()
        {
            ["LiveCommerce:Profile"] = "Postgres",
            [ClusterTlsSettings.Section + ":Enabled"] = null,
            ["LiveCommerce:Postgres:ConnectionString"] = connectionString,
            ["LiveCommerce:Postgres:MaxPoolSize"] = "6",
            ["LiveCommerce:Payments:Sandbox:CallbackSecret"] = TestSecrets.CallbackSecret,
            ["LiveCommerce:Payments:Sandbox:CallbackUrl"] = "http://127.0.0.1:9/v1/payments/callbacks/sandbox",
        };
    }
}

/// <summary>The embedded profile (localhost clustering) with TLS switched on: the same TLS code, no database needed.</summary>
public sealed class EmbeddedTlsSiloFixture : TlsSiloFixture
{
    protected override Task<Dictionary<string, string?>?> SiloSettingsAsync() =>
        Task.FromResult<Dictionary<string, string?>?>(new() { ["LiveCommerce:Profile"] = "Embedded" });
}

public sealed class PostgresClusterTlsGatewayTests(PostgresTlsSiloFixture fixture)
    : ClusterTlsGatewayTests<PostgresTlsSiloFixture>(fixture), IClassFixture<PostgresTlsSiloFixture>;

public sealed class EmbeddedClusterTlsGatewayTests(EmbeddedTlsSiloFixture fixture)
    : ClusterTlsGatewayTests<EmbeddedTlsSiloFixture>(fixture), IClassFixture<EmbeddedTlsSiloFixture>;
