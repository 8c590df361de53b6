using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

// `migrate` applies deploy/postgres/*.sql to the configured database and exits; anything else runs a silo.
var migrateOnly = args.Length > 0 && args[0] == "migrate";
// appsettings.json is read from beside the binary, wherever the process was started from (a host's default content
// root is its working directory: started from elsewhere, it silently ran without its settings, log levels included).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = migrateOnly ? args[1..] : args, ContentRootPath = AppContext.BaseDirectory });
var options = LiveCommerceOptions.From(builder.Configuration);

if (migrateOnly || (options.Profile == HostingProfile.Postgres && options.Postgres.MigrateOnStart))
{
    SecretPolicy.Ensure(builder.Configuration, HostSecrets.DatabasePassword);
    using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(c => c.SingleLine = true));
    var schema = new PostgresSchema(loggerFactory.CreateLogger<PostgresSchema>());
    await schema.ApplyAsync(options.Postgres.EffectiveConnectionString());
    if (migrateOnly) return 0;
}

builder.UseOrleans(silo =>
{
    silo.AddLiveCommerce(builder.Configuration);
    if (builder.Configuration.GetValue<bool>("LiveCommerce:Kubernetes:Enabled"))
        silo.UseKubernetesHosting();
});
builder.AddLiveCommerceTelemetry("livecommerce-silo");

using var host = builder.Build();
await host.RunAsync();
return 0;
