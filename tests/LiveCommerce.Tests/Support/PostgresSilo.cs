using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveCommerce.Tests.Support;

/// <summary>A real silo host in the postgres profile (the production configuration, mutual TLS included) on free loopback ports.</summary>
public sealed class PostgresSilo : IAsyncDisposable
{
    private PostgresSilo(IHost host) => Host = host;

    public IHost Host { get; }
    public IClusterClient Client => Host.Services.GetRequiredService<IClusterClient>();

    public static async Task<PostgresSilo> StartAsync(string connectionString, string clusterId, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["LiveCommerce:Profile"] = "Postgres",
            ["LiveCommerce:ClusterId"] = clusterId,
            ["LiveCommerce:ServiceId"] = clusterId,
            ["LiveCommerce:Silo:SiloPort"] = FreePorts.Next().ToString(),
            ["LiveCommerce:Silo:GatewayPort"] = FreePorts.Next().ToString(),
            ["LiveCommerce:Postgres:ConnectionString"] = connectionString,
            ["LiveCommerce:Postgres:MaxPoolSize"] = "10",
            // Outside the embedded profile a silo refuses the default callback secret and needs the callback address.
            ["LiveCommerce:Payments:Sandbox:CallbackSecret"] = TestSecrets.CallbackSecret,
            ["LiveCommerce:Payments:Sandbox:CallbackUrl"] = "http://127.0.0.1:9/v1/payments/callbacks/sandbox",
        };
        // Mutual TLS is required outside the embedded profile: a certificate of the tests' cluster authority.
        foreach (var (key, value) in TestCertificates.Cluster.SiloSettings) configuration[key] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.AddLiveCommerce(builder.Configuration);
            services?.Invoke(silo.Services);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new PostgresSilo(host);
    }

    /// <summary>The business clock is <paramref name="clock"/>, payment callbacks go straight to the orders, payments complete in 50 ms.</summary>
    public static Action<IServiceCollection> FakeClockServices(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock) => services =>
    {
        services.UseDomainClock(clock);
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.Replace(services,
            ServiceDescriptor.Singleton<LiveCommerce.Grains.Payments.Gateway.IPaymentCallbackSender, DirectCallbackSender>());
        services.Configure<LiveCommerce.Grains.Payments.Gateway.SandboxGatewayOptions>(o => o.CompletionDelay = TimeSpan.FromMilliseconds(50));
    };

    public async ValueTask DisposeAsync()
    {
        try { await Host.StopAsync(TimeSpan.FromSeconds(30)); }
        finally { Host.Dispose(); }
    }
}
