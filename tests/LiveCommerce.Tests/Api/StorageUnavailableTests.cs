using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Storage;

namespace LiveCommerce.Tests.Api;

/// <summary>Grain storage of the "rooms" provider that fails for chosen grain keys the way PostgreSQL does when it is full.</summary>
internal sealed class FullDatabaseStorage(IGrainStorage inner) : IGrainStorage
{
    public const string ReadFails = "db-full-read";
    public const string WriteFails = "db-full-write";

    /// <summary>What PostgreSQL answers a connection beyond max_connections: FATAL 53300.</summary>
    public static PostgresException TooManyConnections() => new("sorry, too many clients already", "FATAL", "FATAL", "53300");

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        grainId.Key.ToString() == ReadFails ? throw TooManyConnections() : inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        grainId.Key.ToString() == WriteFails ? throw TooManyConnections() : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class FullDatabaseApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Rooms));
            services.Remove(original);
            services.AddKeyedSingleton<IGrainStorage>(StorageNames.Rooms, (sp, key) =>
                new FullDatabaseStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key)));
        });
    }
}

/// <summary>
/// PostgreSQL refusing connections (53300 too many connections, a shutdown, a refused socket) is a passing condition:
/// the front door answers 503 with a problem and Retry-After, whether the failure comes straight from a store or
/// wrapped by Orleans' grain storage, never a 500.
/// </summary>
public sealed class StorageUnavailableTests(FullDatabaseApiFactory api) : IClassFixture<FullDatabaseApiFactory>
{
    [Fact]
    public async Task A_grain_whose_storage_refuses_connections_is_a_503_with_retry_after_on_read_and_on_write()
    {
        var reader = await api.ClientAs(FullDatabaseStorage.ReadFails, "buyer");
        await Assert503Async(await reader.GetAsync($"/v1/buyers/{FullDatabaseStorage.ReadFails}"));

        var writer = await api.ClientAs(FullDatabaseStorage.WriteFails, "buyer");
        await Assert503Async(await writer.PutAsJsonAsync($"/v1/buyers/{FullDatabaseStorage.WriteFails}", new { city = "Hangzhou" }));

        // Other grains of the same storage are served as usual.
        var other = await api.ClientAs("db-fine-buyer", "buyer");
        (await other.PutAsJsonAsync("/v1/buyers/db-fine-buyer", new { city = "Hangzhou" })).EnsureSuccessStatusCode();
    }

    private static async Task Assert503Async(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) > 0);
        Assert.Equal("The database is not reachable right now.", JsonDocument.Parse(body).RootElement.GetProperty("title").GetString());
    }

    public static TheoryData<string> Unavailable => ["53300", "53300-wrapped", "57P03", "08006", "socket", "inconsistent", "aggregate"];

    private static Exception Make(string kind) => kind switch
    {
        "53300" => FullDatabaseStorage.TooManyConnections(),
        "53300-wrapped" => new OrleansException("Error from storage provider during ReadState", FullDatabaseStorage.TooManyConnections()),
        "57P03" => new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"),
        "08006" => new PostgresException("connection failure", "FATAL", "FATAL", "08006"),
        "socket" => new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        "inconsistent" => new OrleansException("Error from storage provider during WriteState",
            new InconsistentStateException("ETag mismatch", "7", "6")),
        _ => new AggregateException(new OrleansException("wrapped", FullDatabaseStorage.TooManyConnections())),
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public async Task Storage_that_cannot_serve_now_is_a_503_problem(string kind)
    {
        Assert.True(StorageFailures.IsUnavailable(Make(kind)), kind);
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<IProblemDetailsService>(),
            Microsoft.Extensions.Options.Options.Create(new ClusterRetryOptions { RetryAfterSeconds = 3 }), NullLogger<ProblemExceptionHandler>.Instance);
        Assert.True(await handler.TryHandleAsync(context, Make(kind), CancellationToken.None));
        Assert.Equal((503, "3"), (context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public void Errors_a_retry_cannot_fix_are_not_unavailability()
    {
        Assert.False(StorageFailures.IsUnavailable(new PostgresException("duplicate key value", "ERROR", "ERROR", "23505")));
        Assert.False(StorageFailures.IsUnavailable(new PostgresException("syntax error", "ERROR", "ERROR", "42601")));
        Assert.False(StorageFailures.IsUnavailable(new OrleansException("wrapped", new InvalidOperationException("a bug"))));
        Assert.False(StorageFailures.IsUnavailable(new InvalidOperationException("a bug")));
    }

    [Theory]
    [InlineData("53300: sorry, too many clients already", true)]
    [InlineData("57P01: terminating connection due to administrator command", true)]
    [InlineData("23505: duplicate key value violates unique constraint", false)]
    [InlineData("no state here", false)]
    public void A_postgres_error_that_crossed_the_wire_without_its_fields_is_judged_by_its_message(string message, bool unavailable) =>
        Assert.Equal(unavailable, StorageFailures.IsUnavailableState(StorageFailures.SqlStateOf(null, message)));
}
