using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// Two silos on PostgreSQL and the real front door as a pure Orleans client (postgres profile, gateways from the
/// membership table). A stream of placements with Idempotency-Keys runs through the front door while one silo goes
/// away: killed (stopped without its graceful steps: its connections drop, its membership row stays Active until the
/// other silo votes it dead, like a SIGKILL) or stopped gracefully (SIGTERM).
/// </summary>
public sealed class SiloFailoverTests
{
    private const int Placements = 240;
    private const int Concurrency = 12;

    [Fact]
    public async Task Killing_a_silo_under_a_stream_of_idempotent_placements_loses_none_and_duplicates_none()
    {
        await using var run = await FailoverRun.StartAsync();
        var answers = await run.PlaceWhileAsync(async () => await run.Doomed.Host.StopAsync(new CancellationToken(canceled: true)));

        // The front door retried what failed under it: every placement answered once as placed (or, for a retry whose
        // first attempt had reserved before the silo died, as the same order replayed), none as an error.
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{a.Key}: {(int)a.Status} {a.Body}"));
        await run.AssertExactlyOnceAsync(answers);
    }

    [Fact]
    public async Task A_graceful_stop_under_placements_fails_none_keeps_every_line_and_leaves_the_membership_table()
    {
        await using var run = await FailoverRun.StartAsync();
        var doomed = run.Doomed.Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var answers = await run.PlaceWhileAsync(async () => await run.Doomed.Host.StopAsync());

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{a.Key}: {(int)a.Status} {a.Body}"));
        await run.AssertExactlyOnceAsync(answers);
        // It said goodbye: its row is Dead (6) at once, not after the others' probes and votes.
        var status = await PostgresDatabase.ScalarAsync<int>(run.ConnectionString,
            "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = @c AND Port = @p AND Generation = @g",
            ("c", run.ClusterId), ("p", doomed.Endpoint.Port), ("g", doomed.Generation));
        Assert.Equal(6, status);
    }

    private sealed record Answer(string Key, string BuyerId, HttpStatusCode Status, string Body);

    private sealed class FailoverRun : IAsyncDisposable
    {
        public required string ConnectionString { get; init; }
        public required string ClusterId { get; init; }
        public required PostgresSilo Survivor { get; init; }
        public required PostgresSilo Doomed { get; init; }
        public required FrontDoor Api { get; init; }
        public required ShopScenario Shop { get; init; }
        public required string[] Buyers { get; init; }

        public static async Task<FailoverRun> StartAsync()
        {
            var connectionString = await PostgresDatabase.RequireAsync();
            var clusterId = "pg-failover-" + Guid.NewGuid().ToString("N")[..8];
            // One buyer per order from one test address: the per-IP rules would refuse the stream.
            var settings = new Dictionary<string, string?>
            {
                ["LiveCommerce:Risk:Rules:ip-burst:Enabled"] = "false",
                ["LiveCommerce:Risk:Rules:ip-many-buyers:Enabled"] = "false",
            };
            var survivor = await PostgresSilo.StartAsync(connectionString, clusterId, settings);
            var doomed = await PostgresSilo.StartAsync(connectionString, clusterId, settings);
            var shop = new ShopScenario(survivor.Client);
            await shop.SetUpAsync(stock: 100_000);
            var buyers = await shop.RegisterBuyersAsync(Placements);
            await shop.GiveAddressesAsync(buyers);
            var api = new FrontDoor(connectionString, clusterId);
            _ = api.Server; // starts it: its client joins the cluster through the membership table
            return new FailoverRun
            {
                ConnectionString = connectionString, ClusterId = clusterId, Survivor = survivor, Doomed = doomed, Api = api, Shop = shop, Buyers = buyers,
            };
        }

        /// <summary>Places one order per buyer, <see cref="Concurrency"/> at a time; <paramref name="stop"/> runs after a third of them.</summary>
        public async Task<List<Answer>> PlaceWhileAsync(Func<Task> stop)
        {
            var issuer = new TokenIssuer(new AuthSettings { SigningKey = TestSecrets.SigningKey }, TimeProvider.System);
            using var http = Api.CreateClient();
            http.Timeout = TimeSpan.FromSeconds(100);
            var answers = new List<Answer>();
            var next = -1;
            Task? stopping = null;
            async Task Worker()
            {
                for (int i; (i = Interlocked.Increment(ref next)) < Buyers.Length;)
                {
                    if (i == Placements / 3) stopping = Task.Run(stop);
                    var buyer = Buyers[i];
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/orders")
                    {
                        Content = JsonContent.Create(new { roomId = Shop.RoomId, productId = Shop.ProductId, quantity = 1 }),
                    };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Issue(buyer, "buyer").Token);
                    request.Headers.Add(RequestHelpers.IdempotencyHeader, "failover-1");
                    using var response = await http.SendAsync(request);
                    var answer = new Answer("failover-1", buyer, response.StatusCode, await response.Content.ReadAsStringAsync());
                    lock (answers) answers.Add(answer);
                }
            }
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Worker()));
            if (stopping is not null) await stopping;
            Assert.Equal(Placements, answers.Count);
            return answers;
        }

        /// <summary>Every acknowledged order exists once, with exactly one stock line, and the room counts each unit once.</summary>
        public async Task AssertExactlyOnceAsync(List<Answer> answers)
        {
            var orderIds = answers.Select(a => OrderIds.FromIdempotencyKey(a.BuyerId, a.Key)).ToList();
            Assert.Equal(orderIds.Count, orderIds.Distinct().Count());
            foreach (var chunk in orderIds.Chunk(40))
            {
                var views = await Task.WhenAll(chunk.Select(id => Survivor.Client.GetGrain<IOrderGrain>(id).Get()));
                Assert.All(views, v => Assert.Equal(OrderStatus.PendingPayment, v.Status));
            }
            var lines = await PostgresDatabase.ScalarAsync<long>(ConnectionString,
                "SELECT count(*) FROM room_stock_lines WHERE room_id = @r", ("r", Shop.RoomId));
            Assert.Equal(Placements, lines);
            var shelf = (await Shop.Room.GetView()).Shelf.Single();
            Assert.Equal(Placements, shelf.Reserved);
            Assert.Equal(shelf.StockListed, shelf.StockLeft + shelf.Reserved + shelf.Sold);
        }

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            await Doomed.DisposeAsync();
            await Survivor.DisposeAsync();
        }
    }

    /// <summary>The front door in the postgres profile: a pure client that finds gateways in the membership table.</summary>
    private sealed class FrontDoor(string connectionString, string clusterId) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            var settings = new Dictionary<string, string?>
            {
                ["LiveCommerce:Profile"] = "Postgres",
                ["LiveCommerce:ClusterId"] = clusterId,
                ["LiveCommerce:ServiceId"] = clusterId,
                ["LiveCommerce:Postgres:ConnectionString"] = connectionString,
                ["LiveCommerce:Postgres:MaxPoolSize"] = "6",
                ["LiveCommerce:Auth:SigningKey"] = TestSecrets.SigningKey,
                ["LiveCommerce:Payments:Sandbox:CallbackSecret"] = TestSecrets.CallbackSecret,
                ["LiveCommerce:OAuth:SigningKeyPem"] = TestSecrets.OAuthSigningKeyPem,
                ["LiveCommerce:Logistics:Sandbox:CallbackSecret"] = TestSecrets.LogisticsCallbackSecret,
                // The whole window a dead silo needs to be voted out, on a test machine shared with builds.
                [$"{ClusterRetryOptions.Section}:Budget"] = "00:01:00",
                [$"{ClusterRetryOptions.Section}:MaxRetries"] = "40",
            };
            foreach (var (key, value) in TestCertificates.Cluster.ClientSettings) settings[key] = value;
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }
}
