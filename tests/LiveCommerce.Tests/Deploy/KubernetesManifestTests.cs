using System.Text.RegularExpressions;
using LiveCommerce.Grains.Hosting;
using YamlDotNet.RepresentationModel;

namespace LiveCommerce.Tests.Deploy;

/// <summary>
/// The manifests cannot be applied here (no Kubernetes, no Docker engine), so check what can be checked:
/// they parse, and they configure the silo and front door the way the code reads its configuration.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, .. parts]);
    }

    private static List<YamlMappingNode> Documents()
    {
        var docs = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(RepoFile("deploy", "kubernetes"), "*.yaml").Order())
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            docs.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        return docs;
    }

    private static YamlMappingNode Workload(string kind, string name) =>
        Documents().Single(d => d["kind"].ToString() == kind && ((YamlMappingNode)d["metadata"])["name"].ToString() == name);

    private static Dictionary<string, YamlNode> Env(YamlMappingNode workload)
    {
        var spec = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)workload["spec"])["template"])["spec"];
        var container = (YamlMappingNode)((YamlSequenceNode)spec["containers"]).Children[0];
        return ((YamlSequenceNode)container["env"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(e => e["name"].ToString(), e => e.Children.TryGetValue("value", out var v) ? v : e["valueFrom"]);
    }

    [Fact]
    public void Silos_use_kubernetes_hosting_and_the_postgres_profile()
    {
        var env = Env(Workload("StatefulSet", "livecommerce-silo"));
        Assert.Equal("true", env["LiveCommerce__Kubernetes__Enabled"].ToString());
        Assert.Equal(nameof(HostingProfile.Postgres), env["LiveCommerce__Profile"].ToString());
        foreach (var name in new[] { "POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID", "LiveCommerce__Postgres__ConnectionString" })
            Assert.Contains(name, env.Keys);
    }

    [Fact]
    public void The_front_door_is_probed_on_the_health_endpoints_and_gets_a_signing_key()
    {
        var api = Workload("Deployment", "livecommerce-api");
        var env = Env(api);
        Assert.Contains("LiveCommerce__Auth__SigningKey", env.Keys);
        Assert.Equal(nameof(HostingProfile.Postgres), env["LiveCommerce__Profile"].ToString());
        var all = File.ReadAllText(RepoFile("deploy", "kubernetes", "30-api.yaml"));
        Assert.Contains("/health/ready", all);
        Assert.Contains("/health/live", all);
    }

    [Fact]
    public void The_connection_budget_stays_under_postgres_default_max_connections()
    {
        int Replicas(YamlMappingNode w) => int.Parse(((YamlMappingNode)w["spec"])["replicas"].ToString());
        int Pool(YamlMappingNode w) => int.Parse(Env(w)["LiveCommerce__Postgres__MaxPoolSize"].ToString());
        var silo = Workload("StatefulSet", "livecommerce-silo");
        var api = Workload("Deployment", "livecommerce-api");
        Assert.True(Replicas(silo) * Pool(silo) + Replicas(api) * Pool(api) < 100);
    }

    [Fact]
    public void The_migration_job_runs_the_silo_migrate_command()
    {
        var job = File.ReadAllText(RepoFile("deploy", "kubernetes", "10-migrate-job.yaml"));
        Assert.Matches(new Regex(@"args:\s*\[""migrate""\]"), job);
    }

    private static YamlMappingNode PodSpec(YamlMappingNode workload) =>
        (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)workload["spec"])["template"])["spec"];

    private static YamlMappingNode Container(YamlMappingNode workload) =>
        (YamlMappingNode)((YamlSequenceNode)PodSpec(workload)["containers"]).Children[0];

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static IEnumerable<YamlNode> Items(YamlNode? node) => node is YamlSequenceNode list ? list.Children : [];

    private static Dictionary<string, string> Labels(YamlNode? matchLabels) =>
        matchLabels is YamlMappingNode map ? map.Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString()) : [];

    /// <summary>The secret mounted where <paramref name="path"/> lies, in <paramref name="workload"/>'s first container.</summary>
    private static string? SecretMountedAt(YamlMappingNode workload, string path)
    {
        var mount = Items(Child(Container(workload), "volumeMounts")).Cast<YamlMappingNode>()
            .SingleOrDefault(m => path.StartsWith(m["mountPath"].ToString().TrimEnd('/') + "/", StringComparison.Ordinal));
        if (mount is null) return null;
        Assert.Equal("true", Child(mount, "readOnly")?.ToString());
        var volume = Items(Child(PodSpec(workload), "volumes")).Cast<YamlMappingNode>().Single(v => v["name"].ToString() == mount["name"].ToString());
        return Child(Child(volume, "secret")!, "secretName")?.ToString();
    }

    [Theory]
    [InlineData("StatefulSet", "livecommerce-silo", new[] { "server auth", "client auth" })]
    [InlineData("Deployment", "livecommerce-api", new[] { "client auth" })]
    public void Silos_and_front_doors_take_their_cluster_certificate_and_authority_from_a_mounted_secret(string kind, string name, string[] usages)
    {
        var workload = Workload(kind, name);
        var env = Env(workload);
        Assert.DoesNotContain("LiveCommerce__ClusterTls__Enabled", env.Keys); // on, as the postgres profile requires
        var secrets = new[] { "CertificatePath", "KeyPath", "CaCertificatePath" }
            .Select(key => SecretMountedAt(workload, env["LiveCommerce__ClusterTls__" + key].ToString()))
            .Distinct().ToList();
        var secret = Assert.Single(secrets);
        Assert.NotNull(secret);

        // The secret is a cert-manager certificate for the role's usages, issued by the cluster's own authority.
        var certificate = Documents().Single(d => d["kind"].ToString() == "Certificate" && Child(d["spec"], "secretName")?.ToString() == secret);
        var certificateUsages = Items(Child(certificate["spec"], "usages")).Select(u => u.ToString()).ToList();
        foreach (var usage in usages) Assert.Contains(usage, certificateUsages);
        var issuerName = Child(Child(certificate["spec"], "issuerRef")!, "name")!.ToString();
        var issuer = Documents().Single(d => d["kind"].ToString() == "Issuer" && ((YamlMappingNode)d["metadata"])["name"].ToString() == issuerName);
        var authoritySecret = Child(Child(issuer["spec"], "ca")!, "secretName")!.ToString();
        var authority = Documents().Single(d => d["kind"].ToString() == "Certificate" && Child(d["spec"], "secretName")?.ToString() == authoritySecret);
        Assert.Equal("true", Child(authority["spec"], "isCA")?.ToString());
    }

    [Fact]
    public void Silos_listen_on_their_pod_address()
    {
        var env = Env(Workload("StatefulSet", "livecommerce-silo"));
        Assert.Contains("status.podIP", env["LiveCommerce__Silo__ListenAddress"].ToString());
        Assert.Contains("status.podIP", env["LiveCommerce__Silo__AdvertisedAddress"].ToString());
    }

    /// <summary>For the pods of <paramref name="workload"/>: which ports admit connections from which pods' app label ("*" for any source).</summary>
    private static Dictionary<int, HashSet<string>> Ingress(YamlMappingNode workload)
    {
        var labels = Labels(Child(Child(Child(workload["spec"], "template")!, "metadata")!, "labels"));
        var policies = Documents().Where(d => d["kind"].ToString() == "NetworkPolicy"
            && Labels(Child(Child(d["spec"], "podSelector")!, "matchLabels")).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.NotEmpty(policies); // selected by a policy: nothing gets in unless a rule admits it
        var containerPorts = Items(Child(Container(workload), "ports")).Cast<YamlMappingNode>().ToDictionary(p => p["name"].ToString(), p => int.Parse(p["containerPort"].ToString()));
        var admitted = new Dictionary<int, HashSet<string>>();
        foreach (var policy in policies)
        {
            Assert.Contains("Ingress", Items(Child(policy["spec"], "policyTypes")).Select(t => t.ToString()));
            foreach (var rule in Items(Child(policy["spec"], "ingress")))
            {
                var ports = Items(Child(rule, "ports")).Select(p => Child(p, "port")!.ToString())
                    .Select(p => int.TryParse(p, out var number) ? number : containerPorts[p]).ToList();
                Assert.NotEmpty(ports); // a rule without ports would admit every port
                var sources = Items(Child(rule, "from")).Select(from =>
                {
                    Assert.Null(Child(from, "ipBlock"));
                    Assert.Null(Child(from, "namespaceSelector"));
                    return Labels(Child(Child(from, "podSelector")!, "matchLabels"))["app"];
                }).ToList();
                if (sources.Count == 0) sources.Add("*");
                foreach (var port in ports)
                    foreach (var source in sources)
                        (admitted.TryGetValue(port, out var set) ? set : admitted[port] = []).Add(source);
            }
        }
        return admitted;
    }

    [Fact]
    public void Only_silos_reach_the_silo_port_only_front_doors_the_gateway_and_only_http_reaches_front_doors()
    {
        var silo = Workload("StatefulSet", "livecommerce-silo");
        var ports = Items(Child(Container(silo), "ports")).Cast<YamlMappingNode>().ToDictionary(p => p["name"].ToString(), p => int.Parse(p["containerPort"].ToString()));
        var siloIngress = Ingress(silo);
        Assert.Equal([ports["silo"], ports["gateway"]], siloIngress.Keys.Order());
        Assert.Equal(["livecommerce-silo"], siloIngress[ports["silo"]]);
        Assert.Equal(["livecommerce-api"], siloIngress[ports["gateway"]]);

        var api = Workload("Deployment", "livecommerce-api");
        var http = Items(Child(Container(api), "ports")).Cast<YamlMappingNode>().Single(p => p["name"].ToString() == "http")["containerPort"].ToString();
        var apiIngress = Ingress(api);
        Assert.Equal([int.Parse(http)], apiIngress.Keys);
    }

    /// <summary>Settings that hold secrets: never a literal in a workload, always a Secret reference.</summary>
    private static readonly string[] SecretSettings =
        ["LiveCommerce__Postgres__ConnectionString", "LiveCommerce__Auth__SigningKey", "LiveCommerce__Payments__Sandbox__CallbackSecret", "LiveCommerce__OAuth__SigningKeyPem",
         "LiveCommerce__Logistics__Sandbox__CallbackSecret"];

    [Theory]
    [InlineData("StatefulSet", "livecommerce-silo", new[] { "LiveCommerce__Postgres__ConnectionString", "LiveCommerce__Payments__Sandbox__CallbackSecret" })]
    [InlineData("Deployment", "livecommerce-api", new[] { "LiveCommerce__Postgres__ConnectionString", "LiveCommerce__Auth__SigningKey", "LiveCommerce__Payments__Sandbox__CallbackSecret", "LiveCommerce__OAuth__SigningKeyPem", "LiveCommerce__Logistics__Sandbox__CallbackSecret" })]
    [InlineData("Job", "livecommerce-migrate", new[] { "LiveCommerce__Postgres__ConnectionString" })]
    public void Every_secret_a_workload_needs_comes_from_a_secret(string kind, string name, string[] needed)
    {
        var env = Env(Workload(kind, name));
        var secrets = Documents().Where(d => d["kind"].ToString() == "Secret").ToList();
        foreach (var setting in needed)
        {
            Assert.True(env.TryGetValue(setting, out var source), $"{name} does not set {setting}");
            var reference = Assert.IsType<YamlMappingNode>(source, exactMatch: false);
            var secretRef = (YamlMappingNode)reference["secretKeyRef"];
            // The referenced Secret and key exist in the manifests.
            Assert.Contains(secrets, d => ((YamlMappingNode)d["metadata"])["name"].ToString() == secretRef["name"].ToString()
                && ((YamlMappingNode)d["stringData"]).Children.ContainsKey(secretRef["key"]));
        }
        foreach (var (setting, source) in env)
            if (SecretSettings.Contains(setting)) Assert.IsNotType<YamlScalarNode>(source);
    }

    [Fact]
    public void The_shipped_secret_values_are_placeholders_that_no_host_accepts()
    {
        var secret = Documents().Single(d => d["kind"].ToString() == "Secret");
        var data = (YamlMappingNode)secret["stringData"];
        Assert.NotNull(SecretPolicy.PasswordProblem(data["connection-string"].ToString()));
        Assert.NotNull(SecretPolicy.KeyProblem(data["jwt-signing-key"].ToString()));
        Assert.NotNull(SecretPolicy.KeyProblem(data["callback-secret"].ToString()));
        Assert.NotNull(SecretPolicy.KeyProblem(data["logistics-callback-secret"].ToString()));
        Assert.NotNull(SecretPolicy.RsaKeyProblem(data["oauth-signing-key"].ToString(), null));
    }

    [Fact]
    public void Silos_are_told_where_the_front_doors_take_callbacks()
    {
        var env = Env(Workload("StatefulSet", "livecommerce-silo"));
        var url = new Uri(env["LiveCommerce__Payments__Sandbox__CallbackUrl"].ToString());
        var service = Documents().Single(d => d["kind"].ToString() == "Service" && ((YamlMappingNode)d["metadata"])["name"].ToString() == "livecommerce-api");
        Assert.StartsWith("livecommerce-api.", url.Host);
        Assert.Equal("/v1/payments/callbacks/sandbox", url.AbsolutePath);
        Assert.NotNull(service);
    }
}
