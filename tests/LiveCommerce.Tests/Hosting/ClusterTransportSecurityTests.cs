using System.Net;
using System.Security.Cryptography.X509Certificates;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace LiveCommerce.Tests.Hosting;

/// <summary>
/// Which certificates a cluster member accepts from its peers, and what a process outside the embedded profile refuses
/// to start with: no TLS settings, TLS switched off on a reachable address, a certificate its peers would refuse.
/// </summary>
public sealed class ClusterTransportSecurityTests
{
    private static readonly TestCertificates Cluster = TestCertificates.Cluster;

    private static ClusterPeerValidator Peers(System.Security.Cryptography.Oid usage, TestCertificates? authority = null) =>
        new(new X509Certificate2Collection((authority ?? Cluster).Authority), usage);

    [Fact]
    public void A_certificate_of_the_cluster_authority_is_accepted_for_its_usages()
    {
        var silo = Cluster.Issue("silo-a", ClusterRole.Silo);
        var frontDoor = Cluster.Issue("front-door", ClusterRole.Client);
        Assert.Null(Peers(ClusterTransportSecurity.ServerAuthentication).Check(silo));
        Assert.Null(Peers(ClusterTransportSecurity.ClientAuthentication).Check(silo));
        Assert.Null(Peers(ClusterTransportSecurity.ClientAuthentication).Check(frontDoor));
    }

    [Fact]
    public void A_certificate_of_another_authority_is_refused_even_with_the_same_names()
    {
        // Same subject names as the cluster's authority and certificates: only the keys differ.
        var impostor = TestCertificates.Create("livecommerce-tests-ca");
        var certificate = impostor.Issue("silo", ClusterRole.Silo);
        Assert.NotNull(Peers(ClusterTransportSecurity.ClientAuthentication).Check(certificate));
        Assert.NotNull(Peers(ClusterTransportSecurity.ServerAuthentication).Check(certificate));
        // The impostor authority's own certificate is no better.
        Assert.NotNull(Peers(ClusterTransportSecurity.ClientAuthentication).Check(impostor.Authority));
    }

    [Fact]
    public void A_certificate_outside_its_validity_period_is_refused()
    {
        var expired = Cluster.Issue("expired", ClusterRole.Silo, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMinutes(-1));
        var early = Cluster.Issue("early", ClusterRole.Silo, DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddDays(2));
        Assert.Contains("NotTimeValid", Peers(ClusterTransportSecurity.ClientAuthentication).Check(expired) ?? "accepted");
        Assert.Contains("NotTimeValid", Peers(ClusterTransportSecurity.ClientAuthentication).Check(early) ?? "accepted");
    }

    [Fact]
    public void A_client_certificate_cannot_serve_as_a_silo()
    {
        // A front door's certificate (client authentication only) presented by a process that accepts connections.
        var frontDoor = Cluster.Issue("front-door", ClusterRole.Client);
        Assert.Contains("NotValidForUsage", Peers(ClusterTransportSecurity.ServerAuthentication).Check(frontDoor) ?? "accepted");
    }

    [Fact]
    public void A_certificate_is_refused_once_its_authority_has_expired()
    {
        var old = TestCertificates.Create("old-ca", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = old.Issue("silo", ClusterRole.Silo, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddHours(12));
        var validator = new ClusterPeerValidator(new X509Certificate2Collection(old.Authority), ClusterTransportSecurity.ClientAuthentication,
            new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2)));
        Assert.Contains("NotTimeValid", validator.Check(certificate) ?? "accepted");
    }

    private static IConfiguration Configuration(IDictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static Dictionary<string, string?> PostgresSilo(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LiveCommerce:Profile"] = "Postgres",
            ["LiveCommerce:Silo:SiloPort"] = FreePorts.Next().ToString(),
            ["LiveCommerce:Silo:GatewayPort"] = FreePorts.Next().ToString(),
            ["LiveCommerce:Dashboard"] = "false",
            // Secrets the postgres profile requires (SecretPolicy), so only the transport settings are under test.
            ["LiveCommerce:Postgres:ConnectionString"] = TestSecrets.ConnectionString(),
            ["LiveCommerce:Payments:Sandbox:CallbackSecret"] = TestSecrets.CallbackSecret,
            ["LiveCommerce:Payments:Sandbox:CallbackUrl"] = "http://127.0.0.1:9/v1/payments/callbacks/sandbox",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        return settings;
    }

    /// <summary>Builds (does not start) a silo host with the production silo configuration.</summary>
    private static IHost BuildSilo(IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
        return builder.Build();
    }

    [Fact]
    public void A_postgres_silo_without_tls_settings_refuses_to_start()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BuildSilo(PostgresSilo()));
        Assert.Contains("LiveCommerce:ClusterTls:CertificatePath", error.Message);
        Assert.Contains("required", error.Message);
    }

    [Fact]
    public void A_postgres_front_door_without_tls_settings_refuses_to_start()
    {
        var options = LiveCommerceOptions.From(Configuration(PostgresSilo()));
        var builder = Host.CreateApplicationBuilder();
        var error = Assert.Throws<InvalidOperationException>(() => builder.UseOrleansClient(c => OrleansSetup.ConfigureClient(c, options)));
        Assert.Contains("LiveCommerce:ClusterTls:CertificatePath", error.Message);
    }

    [Fact]
    public void Switching_tls_off_is_refused_for_a_silo_listening_beyond_loopback()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BuildSilo(PostgresSilo(new Dictionary<string, string?>
        {
            ["LiveCommerce:ClusterTls:Enabled"] = "false",
            ["LiveCommerce:Silo:ListenAddress"] = "0.0.0.0",
        })));
        Assert.Contains("refused", error.Message);
        // On loopback only (one machine, e.g. to measure what TLS costs) it is accepted, with a warning at start.
        using var local = BuildSilo(PostgresSilo(new Dictionary<string, string?> { ["LiveCommerce:ClusterTls:Enabled"] = "false" }));
        Assert.Contains(local.Services.GetServices<IHostedService>(), s => s.GetType().Name == "UnprotectedTransportWarning");
    }

    [Fact]
    public void A_process_whose_own_certificate_its_peers_would_refuse_does_not_start()
    {
        var outsider = TestCertificates.Create("outsider-ca");
        var foreign = outsider.Settings(outsider.Issue("silo", ClusterRole.Silo), "silo");
        foreign[ClusterTlsSettings.Section + ":CaCertificatePath"] = Cluster.CaPath;
        Assert.Contains("would be refused", Assert.Throws<InvalidOperationException>(() => BuildSilo(PostgresSilo(foreign))).Message);

        // A front door's certificate (client authentication only) cannot be a silo's.
        var clientOnly = Cluster.Settings(Cluster.Issue("front-door-as-silo", ClusterRole.Client), "front-door-as-silo");
        Assert.Contains("Server Authentication", Assert.Throws<InvalidOperationException>(() => BuildSilo(PostgresSilo(clientOnly))).Message);
    }

    [Fact]
    public void A_pkcs12_certificate_with_a_password_is_loaded_and_a_wrong_password_named()
    {
        var certificate = Cluster.Issue("silo-pfx", ClusterRole.Silo);
        var path = Cluster.PathOf("silo.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        var settings = new ClusterTlsSettings { CertificatePath = path, Password = "pfx-password", CaCertificatePath = Cluster.CaPath };
        var material = ClusterTlsMaterial.Load(settings, HostingProfile.Postgres, ClusterRole.Silo);
        Assert.Equal(certificate.Thumbprint, material.Certificate.Thumbprint);
        Assert.True(material.Certificate.HasPrivateKey);

        settings.Password = "wrong";
        Assert.Contains("CertificatePath", Assert.Throws<InvalidOperationException>(() => ClusterTlsMaterial.Load(settings, HostingProfile.Postgres, ClusterRole.Silo)).Message);
    }

    [Fact]
    public void The_embedded_profile_needs_no_tls_settings()
    {
        using var host = BuildSilo(new Dictionary<string, string?>
        {
            ["LiveCommerce:Profile"] = "Embedded",
            ["LiveCommerce:Silo:SiloPort"] = FreePorts.Next().ToString(),
            ["LiveCommerce:Silo:GatewayPort"] = FreePorts.Next().ToString(),
        });
        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s.GetType().Name == "UnprotectedTransportWarning");
    }

    [Fact]
    public void A_postgres_silo_listens_on_its_advertised_address_unless_told_otherwise()
    {
        using var local = BuildSilo(PostgresSilo(Cluster.SiloSettings));
        var endpoints = local.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.SiloListeningEndpoint!.Address);
        Assert.Equal(IPAddress.Loopback, endpoints.GatewayListeningEndpoint!.Address);

        var settings = PostgresSilo(Cluster.SiloSettings);
        settings["LiveCommerce:Silo:AdvertisedAddress"] = "10.1.2.3";
        settings["LiveCommerce:Silo:ListenAddress"] = "0.0.0.0";
        using var pod = BuildSilo(settings);
        var podEndpoints = pod.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Any, podEndpoints.SiloListeningEndpoint!.Address);
        Assert.Equal(IPAddress.Any, podEndpoints.GatewayListeningEndpoint!.Address);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), podEndpoints.AdvertisedIPAddress);
    }
}
