using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// A throwaway certificate authority for tests (no openssl): it issues silo and client certificates and writes them as
/// the PEM files <c>LiveCommerce:ClusterTls</c> reads. <see cref="Cluster"/> is the one every test silo and client of
/// this process trusts; tests create others to play an outsider.
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> Shared = new(() => Create("livecommerce-tests-ca"));
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "lc-tests-tls-" + Environment.ProcessId);

    private readonly string _folder;
    private readonly Lazy<IDictionary<string, string?>> _siloSettings;
    private readonly Lazy<IDictionary<string, string?>> _clientSettings;

    private TestCertificates(X509Certificate2 authority, string folder)
    {
        Authority = authority;
        _folder = folder;
        Directory.CreateDirectory(folder);
        CaPath = Path.Combine(folder, "ca.crt");
        File.WriteAllText(CaPath, authority.ExportCertificatePem());
        _siloSettings = new(() => Settings(Issue("silo", ClusterRole.Silo), "silo"));
        _clientSettings = new(() => Settings(Issue("client", ClusterRole.Client), "client"));
    }

    /// <summary>The authority of the test cluster.</summary>
    public static TestCertificates Cluster => Shared.Value;

    /// <summary>The authority's certificate, with its private key.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The authority's certificate as a PEM file.</summary>
    public string CaPath { get; }

    /// <summary><c>LiveCommerce:ClusterTls</c> settings for a silo of this authority's cluster.</summary>
    public IDictionary<string, string?> SiloSettings => new Dictionary<string, string?>(_siloSettings.Value);

    /// <summary><c>LiveCommerce:ClusterTls</c> settings for a client (front door) of this authority's cluster.</summary>
    public IDictionary<string, string?> ClientSettings => new Dictionary<string, string?>(_clientSettings.Value);

    public static TestCertificates Create(string name, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LiveCommerce tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var authority = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
        return new TestCertificates(authority, Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]));
    }

    /// <summary>
    /// A certificate (with its key) issued by this authority: server and client authentication for a silo, client
    /// authentication only for a client, or <paramref name="usages"/> when given.
    /// </summary>
    public X509Certificate2 Issue(string name, ClusterRole role, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, Oid[]? usages = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LiveCommerce tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var usage in usages ?? (role == ClusterRole.Silo
                     ? [ClusterTransportSecurity.ServerAuthentication, ClusterTransportSecurity.ClientAuthentication]
                     : [ClusterTransportSecurity.ClientAuthentication]))
            oids.Add(usage);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        using var issued = request.Create(Authority, notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(7),
            RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files and returns the settings that name them.</summary>
    public IDictionary<string, string?> Settings(X509Certificate2 certificate, string name)
    {
        var certificatePath = Path.Combine(_folder, name + ".crt");
        var keyPath = Path.Combine(_folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return new Dictionary<string, string?>
        {
            [ClusterTlsSettings.Section + ":Enabled"] = "true",
            [ClusterTlsSettings.Section + ":CertificatePath"] = certificatePath,
            [ClusterTlsSettings.Section + ":KeyPath"] = keyPath,
            [ClusterTlsSettings.Section + ":CaCertificatePath"] = CaPath,
        };
    }

    /// <summary>A file in this authority's folder.</summary>
    public string PathOf(string file) => Path.Combine(_folder, file);
}
