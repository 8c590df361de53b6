using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Rooms;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace LiveCommerce.Tests.Grains;

public sealed class UnreachableDatabaseFixture : ClusterFixture
{
    public const string BuyerId = "db-down-buyer";

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IRoomStockLedger>(new UnreachableLedger(BuyerId)));
}

/// <summary>A database failure inside a grain reaches the caller as what it is, and the front door answers 503.</summary>
public sealed class DatabaseFailureTests(UnreachableDatabaseFixture fixture) : IClassFixture<UnreachableDatabaseFixture>
{
    [Fact]
    public async Task A_transient_database_error_crosses_the_wire_as_a_transient_npgsql_exception()
    {
        var buyer = fixture.Client.GetGrain<IBuyerGrain>(UnreachableDatabaseFixture.BuyerId);
        await buyer.Register(new RegisterBuyer("Hangzhou", null));

        // The client talks to the silo through its gateway, so the exception is serialized on the way.
        var error = await Assert.ThrowsAsync<NpgsqlException>(() => buyer.ListOrders(0, 10));
        Assert.True(error.IsTransient);
        Assert.Contains("Failed to connect", error.Message);
    }
}

public sealed class UnreachableDatabaseApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IRoomStockLedger>(new UnreachableLedger(UnreachableDatabaseFixture.BuyerId))));
    }
}

public sealed class DatabaseFailureHttpTests(UnreachableDatabaseApiFactory api) : IClassFixture<UnreachableDatabaseApiFactory>
{
    [Fact]
    public async Task The_front_door_answers_503_with_problem_details_when_the_database_is_unreachable()
    {
        var client = await api.ClientAs(UnreachableDatabaseFixture.BuyerId, "buyer");
        (await client.PutAsJsonAsync($"/v1/buyers/{UnreachableDatabaseFixture.BuyerId}", new { city = "Hangzhou" })).EnsureSuccessStatusCode();

        var response = await client.GetAsync($"/v1/buyers/{UnreachableDatabaseFixture.BuyerId}/orders");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The database is not reachable right now.", problem.GetProperty("title").GetString());

        // Another buyer's list is unaffected.
        var other = await api.ClientAs("db-up-buyer", "buyer");
        (await other.PutAsJsonAsync("/v1/buyers/db-up-buyer", new { city = "Hangzhou" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/buyers/db-up-buyer/orders")).StatusCode);
    }
}
