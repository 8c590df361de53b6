using System.Net;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LiveCommerce.Tests.Api;

/// <summary>The embedded front door on a real Kestrel server, started on a port other than the default (like <c>--urls</c>).</summary>
public sealed class OtherPortApi : ApiFactory
{
    public int Port { get; } = FreePorts.Next();

    public OtherPortApi() => UseKestrel();

    protected override bool CallbacksThroughTestServer => false;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("urls", $"http://127.0.0.1:{Port}");
    }
}

/// <summary>
/// Defect 13: the sandbox provider's callbacks follow the front door's address. Started on another port with no
/// callback address configured, payments are confirmed by their callbacks, not only by a reconciliation run.
/// </summary>
public sealed class CallbackAddressTests(OtherPortApi api) : IClassFixture<OtherPortApi>
{
    [Fact]
    public async Task An_embedded_front_door_on_another_port_gets_its_payment_callbacks()
    {
        var shop = await HttpShop.OpenAsync(api);
        var addresses = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Assert.Contains($"http://127.0.0.1:{api.Port}", addresses);

        var buyer = await shop.BuyerAsync("b");
        var placed = await HttpShop.Read(await shop.PlaceAsync(buyer, "callback-port-1"), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        // PayAsync waits (15 s at most) for the order to leave pendingPayment; only a callback moves it here.
        var order = await shop.PayAsync(buyer, orderId);
        Assert.Equal("paid", order.GetProperty("status").GetString());
        var reconciliation = await HttpShop.Ok(shop.Admin.GetAsync("/v1/admin/reconciliation"));
        Assert.DoesNotContain(orderId, reconciliation.ToString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:5123", "http://127.0.0.1:5123/v1/payments/callbacks/sandbox")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080/v1/payments/callbacks/sandbox")]
    [InlineData("http://[::]:8080", "http://127.0.0.1:8080/v1/payments/callbacks/sandbox")]
    [InlineData("http://+:8080", "http://127.0.0.1:8080/v1/payments/callbacks/sandbox")]
    [InlineData("http://localhost:7000", "http://localhost:7000/v1/payments/callbacks/sandbox")]
    public void The_address_derives_from_the_bound_one(string bound, string expected) =>
        Assert.Equal(expected, LiveCommerce.Api.Infrastructure.BoundAddressCallbackSender.Derive([bound], "http://127.0.0.1:5080/v1/payments/callbacks/sandbox"));
}
