using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Grains;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Postgres;

/// <summary>After-sale money end to end with grain state, ledger and provider records in PostgreSQL (two silos).</summary>
public sealed class PostgresAfterSaleTests
{
    private static async Task RunAsync(Func<IGrainFactory, FakeTimeProvider, ISandboxStore, ShopScenario, Task> scenario)
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        var clusterId = "pg-aftersale-" + Guid.NewGuid().ToString("N")[..8];
        var services = PostgresSilo.FakeClockServices(clock);
        await using var a = await PostgresSilo.StartAsync(connectionString, clusterId, services: services);
        await using var b = await PostgresSilo.StartAsync(connectionString, clusterId, services: services);
        await scenario(a.Client, clock, a.Host.Services.GetRequiredService<ISandboxStore>(), new ShopScenario(a.Client));
    }

    [Fact]
    public Task A_return_after_settlement_claws_back_every_partys_share_exactly() => RunAsync(AfterSaleScenario.ReturnAfterSettlementAsync);

    [Fact]
    public Task An_arbitrated_partial_refund_balances_the_books_to_the_fen() => RunAsync(AfterSaleScenario.ArbitratedPartialRefundAsync);
}
