using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Grains;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Postgres;

public sealed class PostgresFlashSaleTests
{
    [Fact]
    public async Task The_flash_sale_never_oversells_with_grain_state_in_postgres()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        var clusterId = "pg-flash-" + Guid.NewGuid().ToString("N")[..8];
        var services = PostgresSilo.FakeClockServices(clock);
        FlashSaleScenario.Outcome final;
        LiveCommerce.Contracts.Payments.AccountBalance merchant;
        await using (var a = await PostgresSilo.StartAsync(connectionString, clusterId, services: services))
        await using (var b = await PostgresSilo.StartAsync(connectionString, clusterId, services: services))
        {
            final = await FlashSaleScenario.RunAsync(a.Client, clock, stock: 200, buyers: 2000, payers: 50);
            merchant = await a.Client.GetGrain<LiveCommerce.Contracts.Payments.ISettlementAccountGrain>(final.Room.Shelf.Single().MerchantId).GetBalance();
        }
        // A whole new cluster rebuilds from PostgreSQL: the room's stock and GMV, the merchant's balances and open shares.
        await using var c = await PostgresSilo.StartAsync(connectionString, clusterId, services: services);
        await FlashSaleScenario.AssertSameAfterReloadAsync(c.Client, final, merchant);
    }
}
