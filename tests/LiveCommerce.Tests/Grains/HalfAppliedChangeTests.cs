using System.Collections.Concurrent;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace LiveCommerce.Tests.Grains;

/// <summary>Fails the next write of chosen grains' state, as a database that drops a connection mid-commit would.</summary>
public sealed class WriteFaults
{
    private readonly ConcurrentDictionary<string, int> _failNext = new();

    public void FailNextWrite(string grainKey) => _failNext[grainKey] = 1;

    public bool ShouldFail(GrainId grainId) => _failNext.TryRemove(grainId.Key.ToString()!, out _);
}

internal sealed class FaultyGrainStorage(IGrainStorage inner, WriteFaults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        faults.ShouldFail(grainId) ? throw new InvalidOperationException("injected write failure") : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

public sealed class FaultyOrderStorageFixture : ClusterFixture
{
    public WriteFaults Faults { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.Configure<LiveCommerce.Grains.Payments.Gateway.SandboxGatewayOptions>(o => { o.AutoComplete = false; o.DropRate = 1; });
        // Wrap the orders' storage (the production registration, memory in this profile) with the fault switch.
        var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Orders));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Orders, (sp, key) =>
            new FaultyGrainStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key), Faults));
    }
}

/// <summary>
/// A call that fails midway (here: its state write) must not leave a half-applied change in memory for the next
/// call to trust. The payment that failed to persist is applied in full when the callback comes again.
/// </summary>
public sealed class HalfAppliedChangeTests(FaultyOrderStorageFixture fixture) : IClassFixture<FaultyOrderStorageFixture>
{
    [Fact]
    public async Task A_payment_whose_write_failed_is_applied_when_the_callback_is_redelivered()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 5, livePrice: 5000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = (await shop.PlaceAsync(buyer)).Order!;
        var order = shop.Order(buyer, "k1");
        // The payer pays at the provider; its callbacks are lost (this fixture), so the test delivers the result.
        var started = await order.StartPayment(buyer);
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(started.PaymentId).Complete(true, null);
        var paid = new PaymentResult(started.PaymentId, placed.OrderId, 5000, true, fixture.Clock.GetUtcNow(), "test");

        fixture.Faults.FailNextWrite(placed.OrderId);
        await Assert.ThrowsAnyAsync<Exception>(() => order.ApplyPaymentResult(paid));

        // The gateway delivers the callback again: the payment must be applied, not taken for already applied.
        var applied = await order.ApplyPaymentResult(paid);
        Assert.Equal(PaymentApplyOutcome.Applied, applied.Outcome);
        Assert.Equal(OrderStatus.Paid, applied.Order!.Status);
        Assert.Equal(5000, applied.Order.PaidAmount);

        // And the money reached the books once: the merchant's share is pending in its account.
        var merchantShare = applied.Order.Split.Single(l => l.AccountId == shop.MerchantId).Amount;
        var merchant = fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId);
        var deadline = Environment.TickCount64 + 10_000;
        while ((await merchant.GetBalance()).Pending != merchantShare && Environment.TickCount64 < deadline) await Task.Delay(50);
        Assert.Equal(merchantShare, (await merchant.GetBalance()).Pending);
    }
}
