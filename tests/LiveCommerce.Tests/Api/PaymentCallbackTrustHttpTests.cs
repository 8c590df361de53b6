using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// The front door with a sandbox that completes payments only when told (the admin's sandbox control). It counts the
/// bytes the application reads from callback bodies (the in-memory client itself always sends a body whole).
/// </summary>
public sealed class ManualPaymentsApiFactory : ApiFactory
{
    private long _callbackBytesRead;
    public long CallbackBytesRead => Interlocked.Read(ref _callbackBytesRead);
    public void ResetCallbackBytesRead() => Interlocked.Exchange(ref _callbackBytesRead, 0);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Payments:Sandbox:AutoComplete", "false");
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new CountingFilter(this)));
    }

    private sealed class CountingFilter(ManualPaymentsApiFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Path.StartsWithSegments("/v1/payments/callbacks"))
                    context.Request.Body = new CountingStream(context.Request.Body, n => Interlocked.Add(ref factory._callbackBytesRead, n));
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); counted(n); return n; }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            counted(n);
            return n;
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>
/// A correctly signed callback is a notification, not proof of payment: the order believes only what the provider
/// confirms for an attempt it opened, with the amount it asked for. Everything else is a 4xx that moves no money and
/// is recorded for reconciliation.
/// </summary>
public sealed class PaymentCallbackTrustHttpTests(ManualPaymentsApiFactory api) : IClassFixture<ManualPaymentsApiFactory>
{
    private const string CallbackPath = "/v1/payments/callbacks/sandbox";

    private string Secret => api.Services.GetRequiredService<IOptions<SandboxGatewayOptions>>().Value.CallbackSecret;

    private HttpRequestMessage Signed(PaymentCallback callback)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(callback, Json);
        var request = new HttpRequestMessage(HttpMethod.Post, CallbackPath) { Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } } };
        request.Headers.Add(CallbackSignature.Header, CallbackSignature.Sign(Secret, api.Clock.GetUtcNow(), body));
        return request;
    }

    private PaymentCallback Callback(string paymentId, string orderId, long amount, string type = PaymentCallback.Succeeded) =>
        new(paymentId + ":final", type, paymentId, orderId, amount, api.Clock.GetUtcNow());

    private static async Task<string?> Code(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await Read(response, expected);
        return body.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    [Fact]
    public async Task A_signed_callback_for_a_payment_the_order_never_opened_is_refused_moves_no_money_and_is_recorded()
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 50_000);
        var buyer = await shop.BuyerAsync("forger");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "f1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        var anonymous = api.CreateClient();

        Assert.Equal("payment.unknown_attempt", await Code(await anonymous.SendAsync(Signed(Callback("pay-fake", orderId, 30_000))), HttpStatusCode.Conflict));
        // Even the order's own reference is not believed until the provider has a payment under it.
        Assert.Equal("payment.unknown_attempt", await Code(await anonymous.SendAsync(Signed(Callback($"pay-{orderId}-1", orderId, 50_000))), HttpStatusCode.Conflict));

        var order = await Ok(buyer.GetAsync($"/v1/orders/{orderId}"));
        Assert.Equal(("pendingPayment", 0L), (order.GetProperty("status").GetString(), order.GetProperty("paidAmount").GetInt64()));
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);

        var reconciliation = await Ok(shop.Admin.GetAsync("/v1/admin/reconciliation"));
        var unmatched = reconciliation.GetProperty("recentUnmatched").EnumerateArray().Where(u => u.GetProperty("orderId").GetString() == orderId).ToList();
        Assert.Equal(["pay-fake", $"pay-{orderId}-1"], unmatched.Select(u => u.GetProperty("paymentId").GetString()).ToArray());
        Assert.All(unmatched, u => Assert.Equal("payment.unknown_attempt", u.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task A_callback_is_believed_only_as_far_as_the_provider_confirms_it()
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 50_000);
        var buyer = await shop.BuyerAsync("payer");
        var other = await shop.BuyerAsync("other");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "p1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        var otherOrderId = (await Read(await shop.PlaceAsync(other, "o1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        var anonymous = api.CreateClient();
        var paymentId = (await Ok(buyer.PostAsync($"/v1/orders/{orderId}/payments", null))).GetProperty("paymentId").GetString()!;

        // The payer has not paid yet: the provider does not confirm a success.
        Assert.Equal("payment.not_confirmed", await Code(await anonymous.SendAsync(Signed(Callback(paymentId, orderId, 50_000))), HttpStatusCode.Conflict));
        Assert.Equal("pendingPayment", (await Ok(buyer.GetAsync($"/v1/orders/{orderId}"))).GetProperty("status").GetString());

        // The provider's own callback after the payer paid marks the order paid with the amount it asked for.
        await Ok(shop.Admin.PostAsJsonAsync($"/v1/sandbox/payments/{paymentId}/complete", new { succeed = true }));
        var paid = await WaitForStatusAsync(buyer, orderId, "paid");
        Assert.Equal(50_000, paid.GetProperty("paidAmount").GetInt64());

        // A forged amount for the real payment, and the real payment named for another order, change nothing.
        Assert.Equal("payment.amount_mismatch", await Code(await anonymous.SendAsync(Signed(Callback(paymentId, orderId, 30_000))), HttpStatusCode.Conflict));
        Assert.Equal("payment.unknown_attempt", await Code(await anonymous.SendAsync(Signed(Callback(paymentId, otherOrderId, 50_000))), HttpStatusCode.Conflict));
        Assert.Equal("pendingPayment", (await Ok(other.GetAsync($"/v1/orders/{otherOrderId}"))).GetProperty("status").GetString());
        var after = await Ok(buyer.GetAsync($"/v1/orders/{orderId}"));
        Assert.Equal((50_000L, 0L), (after.GetProperty("paidAmount").GetInt64(), after.GetProperty("refundedAmount").GetInt64()));
        var balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.Equal(25_000, balance.GetProperty("pending").GetInt64());
    }

    [Theory]
    [InlineData(-1000)]
    [InlineData(0)]
    [InlineData(long.MaxValue)]
    public async Task A_callback_amount_out_of_range_is_a_400_before_anything_changes(long amount)
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 3000);
        var buyer = await shop.BuyerAsync("range");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "r1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        var anonymous = api.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            var response = await anonymous.SendAsync(Signed(Callback($"pay-{orderId}-1", orderId, amount)));
            var body = await Read(response, HttpStatusCode.BadRequest);
            Assert.True(body.GetProperty("errors").TryGetProperty("amount", out _), body.ToString());
        }
        Assert.Equal("pendingPayment", (await Ok(buyer.GetAsync($"/v1/orders/{orderId}"))).GetProperty("status").GetString());
        await Ok(shop.Admin.GetAsync("/v1/analytics/platform"));
    }

    [Fact]
    public async Task A_callback_without_a_well_formed_signature_header_is_refused_before_its_body_is_read()
    {
        var anonymous = api.CreateClient();
        var small = new ByteArrayContent("{}"u8.ToArray()) { Headers = { ContentType = new("application/json") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(CallbackPath, small)).StatusCode);

        var malformed = new HttpRequestMessage(HttpMethod.Post, CallbackPath) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        malformed.Headers.TryAddWithoutValidation(CallbackSignature.Header, "t=abc,v1=zz");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(malformed)).StatusCode);

        // A big unsigned body is refused without being read.
        api.ResetCallbackBytesRead();
        var unsigned = await anonymous.PostAsync(CallbackPath, new ByteArrayContent(new byte[4 * 1024 * 1024]) { Headers = { ContentType = new("application/json") } });
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(0, api.CallbackBytesRead);

        // A callback with a well-formed signature header but a body longer than the limit is 413, read no further
        // than the limit (by its declared length, or while reading when it declares none).
        api.ResetCallbackBytesRead();
        var tooLarge = new HttpRequestMessage(HttpMethod.Post, CallbackPath)
        {
            Content = new StreamContent(new MemoryStream(new byte[4 * 1024 * 1024]).NonSeekable()) { Headers = { ContentType = new("application/json") } },
        };
        tooLarge.Headers.Add(CallbackSignature.Header, CallbackSignature.Sign(Secret, api.Clock.GetUtcNow(), "{}"u8));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await anonymous.SendAsync(tooLarge)).StatusCode);
        Assert.InRange(api.CallbackBytesRead, 0, 16 * 1024);
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string orderId, string status)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var order = await Ok(client.GetAsync($"/v1/orders/{orderId}"));
            if (order.GetProperty("status").GetString() == status) return order;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"order {orderId} is {order.GetProperty("status")}, not {status}");
            await Task.Delay(25);
        }
    }
}

internal static class StreamTestExtensions
{
    /// <summary>Hides the length, so the client sends the body chunked.</summary>
    public static Stream NonSeekable(this Stream inner) => new NonSeekableStream(inner);

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
