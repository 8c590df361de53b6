using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// The <c>LiveCommerce:ClusterTls</c> section: the certificate this process presents on Orleans connections and the
/// certificate authority whose certificates it accepts from peers.
/// </summary>
public sealed class ClusterTlsSettings
{
    public const string Section = "LiveCommerce:ClusterTls";

    /// <summary>
    /// Unset: on outside the embedded profile, off in it. <c>false</c> outside the embedded profile is accepted only
    /// for a silo listening on loopback (a one-machine cluster, e.g. to measure what TLS costs), and logged as a warning.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>This process's certificate: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) or a PEM file (<c>tls.crt</c>).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key (<c>tls.key</c>) when <see cref="CertificatePath"/> is PEM; default: the certificate file.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key; none by default.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// PEM file with the certificate authority (or authorities, during a rotation) of this cluster (<c>ca.crt</c>). Peers
    /// are accepted when their certificate chains to one of these, and only these: the machine's trust store is not used.
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Whether this process uses TLS on Orleans connections in <paramref name="profile"/>.</summary>
    public bool IsEnabled(HostingProfile profile) => Enabled ?? profile != HostingProfile.Embedded;
}

/// <summary>
/// Mutual TLS on every Orleans connection: silo to silo, and client (front door) to gateway. Each side presents a
/// certificate issued by the cluster's certificate authority and accepts the other side only if its certificate chains
/// to that authority, is within its validity period and is meant for its role (client or server authentication). A
/// process that cannot present such a certificate cannot open a connection, so it cannot call a grain.
/// </summary>
public static class ClusterTransportSecurity
{
    /// <summary>Extended key usage of a TLS server certificate (a silo accepting connections).</summary>
    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>Extended key usage of a TLS client certificate (a front door, or a silo opening a connection).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    /// <summary>
    /// TLS on the silo's inbound (silo and gateway ports) and outbound (to other silos) connections, or the start-up
    /// refusal when it is required and not configured.
    /// </summary>
    public static ISiloBuilder AddLiveCommerceClusterTls(this ISiloBuilder silo, LiveCommerceOptions options)
    {
        var settings = options.ClusterTls;
        if (!settings.IsEnabled(options.Profile))
        {
            if (options.Profile != HostingProfile.Embedded)
            {
                var listen = options.Silo.ListenIp();
                if (!IPAddress.IsLoopback(listen))
                    throw new InvalidOperationException(
                        $"{ClusterTlsSettings.Section}:Enabled=false is refused in the {options.Profile} profile for a silo listening on {listen}: " +
                        "without TLS anyone who reaches the silo or gateway port can call any grain. Configure " +
                        $"{ClusterTlsSettings.Section}:CertificatePath and :CaCertificatePath (see deploy/kubernetes/README.md); an unencrypted " +
                        $"cluster is accepted only on loopback ({SiloEndpointSettings.Section}:ListenAddress=127.0.0.1).");
                silo.Services.AddHostedService(sp => new UnprotectedTransportWarning(sp.GetRequiredService<ILogger<UnprotectedTransportWarning>>(),
                    $"silo listening on {listen}"));
            }
            return silo;
        }

        var material = ClusterTlsMaterial.Load(settings, options.Profile, ClusterRole.Silo);
        silo.Services.AddOptions<SiloConnectionOptions>().Configure<ILoggerFactory>((connections, loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(ClusterTransportSecurity));
            var inbound = material.ServerOptions(logger);
            var outbound = material.ClientOptions(logger);
            connections.ConfigureSiloInboundConnection(b => b.UseServerTls(inbound));
            connections.ConfigureGatewayInboundConnection(b => b.UseServerTls(inbound));
            connections.ConfigureSiloOutboundConnection(b => b.UseClientTls(outbound));
        });
        return silo;
    }

    /// <summary>TLS on a client's connections to gateways, or the start-up refusal when it is required and not configured.</summary>
    public static IClientBuilder AddLiveCommerceClusterTls(this IClientBuilder client, LiveCommerceOptions options)
    {
        var settings = options.ClusterTls;
        if (!settings.IsEnabled(options.Profile))
        {
            if (options.Profile != HostingProfile.Embedded)
            {
                // Only explicit: an unset Enabled means on. Silos refuse to run without TLS unless they listen on
                // loopback only, so such a client can reach a cluster on its own machine and nothing else.
                client.Services.AddHostedService(sp => new UnprotectedTransportWarning(sp.GetRequiredService<ILogger<UnprotectedTransportWarning>>(),
                    "Orleans client"));
            }
            return client;
        }

        var material = ClusterTlsMaterial.Load(settings, options.Profile, ClusterRole.Client);
        client.Services.AddOptions<ClientConnectionOptions>().Configure<ILoggerFactory>((connections, loggers) =>
        {
            var outbound = material.ClientOptions(loggers.CreateLogger(typeof(ClusterTransportSecurity)));
            connections.ConfigureConnection(b => b.UseClientTls(outbound));
        });
        return client;
    }

    private sealed class UnprotectedTransportWarning(ILogger<UnprotectedTransportWarning> logger, string what) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("CLUSTER TRANSPORT SECURITY IS OFF ({What}, {Key}=false): Orleans connections are neither encrypted nor " +
                "authenticated, and any process on this machine that reaches a silo or gateway port can call any grain, payments included. " +
                "Use this only to measure what TLS costs, never for a deployment.", what, ClusterTlsSettings.Section + ":Enabled");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Which end of Orleans connections a process is: a silo accepts and opens them, a client only opens them.</summary>
public enum ClusterRole
{
    Silo,
    Client,
}

/// <summary>This process's certificate and key and the cluster's certificate authorities, loaded and checked at start-up.</summary>
public sealed class ClusterTlsMaterial
{
    private ClusterTlsMaterial(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        Authorities = authorities;
    }

    public X509Certificate2 Certificate { get; }
    public X509Certificate2Collection Authorities { get; }

    /// <summary>
    /// Reads the files named by <paramref name="settings"/>; throws with the setting to fix when one is missing or
    /// unreadable, or when this process's own certificate would not be accepted by its peers (other authority, expired,
    /// not meant for its role), so a misconfigured process stops at start-up instead of failing every connection.
    /// </summary>
    public static ClusterTlsMaterial Load(ClusterTlsSettings settings, HostingProfile profile, ClusterRole role, TimeProvider? time = null)
    {
        var section = ClusterTlsSettings.Section;
        if (string.IsNullOrWhiteSpace(settings.CertificatePath) || string.IsNullOrWhiteSpace(settings.CaCertificatePath))
            throw new InvalidOperationException(
                $"Cluster transport security (mutual TLS between silos and clients) is required in the {profile} profile, and " +
                $"{section}:CertificatePath and {section}:CaCertificatePath are not both set. Give this process a certificate and key " +
                "issued by the cluster's certificate authority (PEM tls.crt + tls.key, or a .pfx), and that authority's certificate " +
                "(ca.crt); deploy/local-cluster.sh generates a throwaway authority, deploy/kubernetes mounts them from a Secret.");

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(settings.CaCertificatePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"{section}:CaCertificatePath: cannot read '{settings.CaCertificatePath}': {e.Message}", e);
        }
        if (authorities.Count == 0)
            throw new InvalidOperationException($"{section}:CaCertificatePath: '{settings.CaCertificatePath}' holds no PEM certificate.");

        var certificate = LoadCertificate(settings);
        var material = new ClusterTlsMaterial(certificate, authorities);
        // A silo presents its certificate as a server (inbound) and as a client (to other silos); a client only as a client.
        var usages = role == ClusterRole.Silo
            ? new[] { ClusterTransportSecurity.ServerAuthentication, ClusterTransportSecurity.ClientAuthentication }
            : [ClusterTransportSecurity.ClientAuthentication];
        foreach (var usage in usages)
        {
            var problem = new ClusterPeerValidator(authorities, usage, time).Check(certificate);
            if (problem is not null)
                throw new InvalidOperationException(
                    $"{section}:CertificatePath: this process's certificate ({certificate.Subject}, thumbprint {certificate.Thumbprint}) would be " +
                    $"refused by its peers for {usage.FriendlyName}: {problem}");
        }
        return material;
    }

    private static X509Certificate2 LoadCertificate(ClusterTlsSettings settings)
    {
        var path = settings.CertificatePath!;
        var password = string.IsNullOrEmpty(settings.Password) ? null : settings.Password;
        X509Certificate2 certificate;
        try
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (extension is ".pfx" or ".p12")
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
            else
            {
                var keyPath = string.IsNullOrWhiteSpace(settings.KeyPath) ? path : settings.KeyPath;
                using var pem = password is null
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
                // SslStream needs a key it can use for the handshake on every platform: a PKCS#12 round trip gives one.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"{ClusterTlsSettings.Section}:CertificatePath: cannot load a certificate with its private key from '{path}'" +
                (string.IsNullOrWhiteSpace(settings.KeyPath) ? "" : $" and '{settings.KeyPath}'") + $": {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"{ClusterTlsSettings.Section}:CertificatePath: '{path}' has no private key (set :KeyPath for a PEM key file).");
        return certificate;
    }

    /// <summary>Accepting connections: present our certificate, require the peer's, issued by the cluster authority for client authentication.</summary>
    public TlsOptions ServerOptions(ILogger? logger = null)
    {
        var peers = new ClusterPeerValidator(Authorities, ClusterTransportSecurity.ClientAuthentication, logger: logger);
        return new TlsOptions
        {
            LocalCertificate = Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateValidation = peers.Validate,
        };
    }

    /// <summary>Opening connections: present our certificate, require the silo's, issued by the cluster authority for server authentication.</summary>
    public TlsOptions ClientOptions(ILogger? logger = null)
    {
        var peers = new ClusterPeerValidator(Authorities, ClusterTransportSecurity.ServerAuthentication, logger: logger);
        return new TlsOptions
        {
            LocalCertificate = Certificate,
            ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            RemoteCertificateValidation = peers.Validate,
        };
    }
}

/// <summary>
/// Accepts a peer's certificate when it chains to one of the cluster's certificate authorities (custom root trust: the
/// machine's trust store plays no part), every certificate in the chain is within its validity period, and it is meant
/// for the usage the peer's role needs. Host names are not checked: silos are addressed by IP addresses that change with
/// every pod, and membership of the cluster is what the authority vouches for, so it must issue certificates for this
/// cluster only.
/// </summary>
public sealed class ClusterPeerValidator(X509Certificate2Collection authorities, Oid usage, TimeProvider? time = null, ILogger? logger = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>The <see cref="RemoteCertificateValidator"/> for <see cref="TlsOptions.RemoteCertificateValidation"/>.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        // The policy errors come from the machine's trust store and the (absent) host name; the decision is ours alone.
        var problem = Check(certificate, presented);
        if (problem is null) return true;
        _logger.LogWarning("Refused an Orleans peer's certificate ({Subject}, issuer {Issuer}, thumbprint {Thumbprint}) for {Usage}: {Problem}",
            certificate.Subject, certificate.Issuer, certificate.Thumbprint, usage.FriendlyName, problem);
        return false;
    }

    /// <summary>Null when <paramref name="certificate"/> is acceptable, else why not.</summary>
    public string? Check(X509Certificate2 certificate, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(authorities);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        policy.ApplicationPolicy.Add(usage);
        // Intermediates the peer sent with its certificate may complete the chain; they are not trusted for being here.
        if (presented is not null)
        {
            policy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements)
                if (element.Certificate.Thumbprint != certificate.Thumbprint) policy.ExtraStore.Add(element.Certificate);
        }

        if (chain.Build(certificate)) return null;
        var statuses = chain.ChainStatus.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})").Distinct();
        return string.Join("; ", statuses);
    }
}
