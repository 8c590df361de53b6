using LiveCommerce.Api.Platform;
using LiveCommerce.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace LiveCommerce.Tests.Postgres;

/// <summary>The postgres profile's OAuth store: OpenIddict's EF Core stores on the tables of deploy/postgres/140.</summary>
public sealed class PostgresOAuthStoreTests
{
    [Fact]
    public async Task An_app_registered_in_PostgreSQL_keeps_only_a_hash_of_its_secret()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var services = new ServiceCollection().AddLogging();
        services.AddDbContext<OAuthDbContext>(o => o.UseNpgsql(connectionString).UseOpenIddict());
        services.AddOpenIddict().AddCore(o => o.UseEntityFrameworkCore().UseDbContext<OAuthDbContext>());
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();

        var clientId = "pg-app-" + Guid.NewGuid().ToString("N")[..8];
        const string secret = "a-client-secret-of-the-test-7f3c9d";
        var descriptor = new OpenIddictApplicationDescriptor { ClientId = clientId, ClientSecret = secret, ClientType = OpenIddictConstants.ClientTypes.Confidential };
        descriptor.Permissions.Add(OpenIddictConstants.Permissions.GrantTypes.ClientCredentials);
        await applications.CreateAsync(descriptor);

        var app = await applications.FindByClientIdAsync(clientId);
        Assert.NotNull(app);
        Assert.True(await applications.ValidateClientSecretAsync(app, secret));
        Assert.False(await applications.ValidateClientSecretAsync(app, secret + "x"));
        var stored = await PostgresDatabase.ScalarAsync<string>(connectionString,
            "SELECT \"ClientSecret\" FROM \"OpenIddictApplications\" WHERE \"ClientId\" = @id", ("id", clientId));
        Assert.DoesNotContain(secret, stored);
    }
}
