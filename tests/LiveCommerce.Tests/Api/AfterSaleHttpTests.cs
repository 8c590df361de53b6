using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LiveCommerce.Api.Endpoints;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// Shipping with a carrier, signed logistics events and an arbitrated after-sale case, through HTTP, with the
/// refusals each step owes (400 with the field, 403, 404, 409 with the current state) changing nothing.
/// </summary>
public sealed class AfterSaleHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private string Secret => api.Services.GetRequiredService<IOptions<SandboxCarrierOptions>>().Value.CallbackSecret;
    private string PaymentSecret => api.Services.GetRequiredService<IOptions<SandboxGatewayOptions>>().Value.CallbackSecret;

    private Task<HttpResponseMessage> LogisticsAsync(object payload, string? secret = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/logistics/callbacks/sandbox") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(LogisticsEndpoints.SignatureHeader, CallbackSignature.Sign(secret ?? Secret, api.Clock.GetUtcNow(), body));
        return api.CreateClient().SendAsync(request);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object? body = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected) => await Read(response, expected);

    [Fact]
    public async Task A_merchant_ships_a_buyer_returns_the_merchant_rejects_and_an_admin_arbitrates_part_and_the_books_balance()
    {
        var shop = await OpenAsync(api, stock: 10, livePrice: 10_000);
        var alice = await shop.BuyerAsync("alice");
        var mallory = await shop.BuyerAsync("mallory");
        var orderId = (await Read(await shop.PlaceAsync(alice, "a-1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        await shop.PayAsync(alice, orderId);

        // Ship with a carrier: an unknown carrier is a 400 naming the field; another merchant is refused.
        Assert.Equal("carrier", (await Problem(await PostAsync(shop.Merchant, $"/v1/orders/{orderId}/ship", new { carrier = "pigeon", trackingNumber = "X" }), HttpStatusCode.BadRequest))
            .GetProperty("errors").EnumerateObject().Single().Name);
        var shipped = await Read(await PostAsync(shop.Merchant, $"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "SBX100" }));
        Assert.Equal(("shipped", "sandbox"), (shipped.GetProperty("status").GetString(), shipped.GetProperty("carrier").GetString()));

        // Signed carrier events: a wrong key is 401 and changes nothing; a repeat is acknowledged once; delivered delivers.
        object Event(string id, string status) => new { eventId = id, orderId, carrier = "sandbox", trackingNumber = "SBX100", status, occurredAt = api.Clock.GetUtcNow(), location = "Hangzhou hub" };
        Assert.Equal(HttpStatusCode.Unauthorized, (await LogisticsAsync(Event("ev-1", "in_transit"), secret: "not-the-secret")).StatusCode);
        // The payment provider's key signs payments only: a carrier event under it is refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await LogisticsAsync(Event("ev-1", "in_transit"), secret: PaymentSecret)).StatusCode);
        await Read(await LogisticsAsync(Event("ev-1", "in_transit")));
        await Read(await LogisticsAsync(Event("ev-1", "in_transit")));
        await Read(await LogisticsAsync(Event("ev-2", "out_for_delivery")));
        Assert.Equal("status", (await Problem(await LogisticsAsync(Event("ev-x", "teleported")), HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Single().Name);
        var delivered = await Read(await LogisticsAsync(Event("ev-3", "delivered")));
        Assert.Equal("delivered", delivered.GetProperty("orderStatus").GetString());
        var order = await Read(await alice.GetAsync($"/v1/orders/{orderId}"));
        Assert.Equal(["inTransit", "outForDelivery", "delivered"], order.GetProperty("tracking").EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        Assert.Equal(JsonValueKind.String, order.GetProperty("autoConfirmAt").ValueKind);

        // The buyer's old refund path is closed; a case is the way.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(alice, $"/v1/orders/{orderId}/refunds", new { amount = 100, reason = "x" }, key: "r-1")).StatusCode);
        var ask = new { kind = "returnAndRefund", reasonCode = "damaged", description = "lid cracked", evidence = new[] { "https://img.example/lid.jpg" }, amount = 10_000 };
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(mallory, $"/v1/orders/{orderId}/after-sales", ask, key: "c-1")).StatusCode);
        var badReason = new { kind = "returnAndRefund", reasonCode = "bored", description = "", evidence = Array.Empty<string>(), amount = 100 };
        Assert.Equal("reasonCode", (await Problem(await PostAsync(alice, $"/v1/orders/{orderId}/after-sales", badReason, key: "c-0"), HttpStatusCode.BadRequest))
            .GetProperty("errors").EnumerateObject().Single().Name);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(alice, $"/v1/orders/{orderId}/after-sales", ask)).StatusCode); // no Idempotency-Key
        var opened = await Read(await PostAsync(alice, $"/v1/orders/{orderId}/after-sales", ask, key: "c-1"), HttpStatusCode.Created);
        var caseId = opened.GetProperty("caseId").GetString()!;
        Assert.Equal("awaitingMerchant", opened.GetProperty("status").GetString());
        Assert.Equal(caseId, (await Read(await PostAsync(alice, $"/v1/orders/{orderId}/after-sales", ask, key: "c-1"), HttpStatusCode.Created)).GetProperty("caseId").GetString());
        var second = await Problem(await PostAsync(alice, $"/v1/orders/{orderId}/after-sales", ask, key: "c-2"), HttpStatusCode.Conflict);
        Assert.Equal("after_sale.case_open", second.GetProperty("code").GetString());

        // Who may see and act: the parties only; arbitration is admin-only; an unknown case is 404.
        var otherMerchant = await api.ClientAs(shop.Prefix + "-other-m", "merchant");
        Assert.Equal(HttpStatusCode.Forbidden, (await mallory.GetAsync($"/v1/after-sales/{caseId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(otherMerchant, $"/v1/after-sales/{caseId}/approve")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(alice, $"/v1/after-sales/{caseId}/approve")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Merchant.GetAsync($"/v1/after-sales/{orderId}:as9")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(alice, $"/v1/admin/after-sales/{caseId}/arbitration", new { outcome = "refundAll", note = "me" })).StatusCode);

        // The merchant rejects (a reason is required), the buyer escalates, an admin decides part: final.
        Assert.Equal("reason", (await Problem(await PostAsync(shop.Merchant, $"/v1/after-sales/{caseId}/reject", new { }), HttpStatusCode.BadRequest))
            .GetProperty("errors").EnumerateObject().Single().Name);
        await Read(await PostAsync(shop.Merchant, $"/v1/after-sales/{caseId}/reject", new { reason = "sealed when shipped" }));
        var approveRejected = await Problem(await PostAsync(shop.Merchant, $"/v1/after-sales/{caseId}/approve"), HttpStatusCode.Conflict);
        Assert.Equal("rejected", approveRejected.GetProperty("currentState").GetString()!.ToLowerInvariant());
        await Read(await PostAsync(alice, $"/v1/after-sales/{caseId}/escalate"));
        var decided = await Read(await PostAsync(shop.Admin, $"/v1/admin/after-sales/{caseId}/arbitration", new { outcome = "refundPart", amount = 3333, note = "lid only" }));
        Assert.Equal(("refunded", 3333L), (decided.GetProperty("status").GetString(), decided.GetProperty("amountRefunded").GetInt64()));
        Assert.Equal(["opened", "rejected", "escalated", "arbitrated_part"],
            decided.GetProperty("timeline").EnumerateArray().Select(s => s.GetProperty("action").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(shop.Admin, $"/v1/admin/after-sales/{caseId}/arbitration", new { outcome = "refundAll", note = "again" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(shop.Merchant, $"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "again" })).StatusCode);
        await Read(await PostAsync(shop.Merchant, $"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "SBX100" })); // a retry of the shipment

        // The books: 3333 of 10000 back, split 50/15/10/8/5/5/3/2.5/1.5 % in proportion, to the fen.
        var split = await Read(await shop.Merchant.GetAsync($"/v1/orders/{orderId}/split"));
        Assert.Equal(3333, split.GetProperty("refundedAmount").GetInt64());
        var lines = split.GetProperty("split").EnumerateArray().ToList();
        Assert.Equal(3333, lines.Sum(l => l.GetProperty("refunded").GetInt64()));
        foreach (var line in lines.Where(l => l.GetProperty("role").GetString() != "seller"))
            Assert.Equal(3333L * line.GetProperty("basisPoints").GetInt32() / 10_000, line.GetProperty("refunded").GetInt64());
        var merchant = await Read(await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        var seller = lines.Single(l => l.GetProperty("role").GetString() == "seller");
        Assert.Equal(seller.GetProperty("amount").GetInt64() - seller.GetProperty("refunded").GetInt64(), merchant.GetProperty("pending").GetInt64());

        // The case's steps reach the merchant's and the streamer's analytics by reason (the streams are asynchronous).
        foreach (var (client, url) in new[] { (shop.Merchant, $"/v1/analytics/merchants/{shop.MerchantId}"), (shop.Streamer, $"/v1/analytics/streamers/{shop.StreamerId}") })
        {
            JsonElement row = default;
            for (var deadline = Environment.TickCount64 + 15_000; Environment.TickCount64 < deadline; await Task.Delay(100))
            {
                var rows = (await Read(await client.GetAsync(url))).GetProperty("afterSale").EnumerateArray().ToList();
                row = rows.SingleOrDefault(r => r.GetProperty("reasonCode").GetString() == "damaged");
                if (row.ValueKind == JsonValueKind.Object && row.GetProperty("refunded").GetInt64() == 1) break;
            }
            Assert.Equal((1L, 1L, 1L, 3333L, 0L), (row.GetProperty("opened").GetInt64(), row.GetProperty("escalated").GetInt64(),
                row.GetProperty("returned").GetInt64(), row.GetProperty("refundedAmount").GetInt64(), row.GetProperty("closedWithoutRefund").GetInt64()));
        }

        // The order is free for another case now, and the buyer may read its closed one.
        Assert.Equal("refunded", (await Read(await alice.GetAsync($"/v1/after-sales/{caseId}"))).GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, (await Read(await alice.GetAsync($"/v1/orders/{orderId}"))).GetProperty("openAfterSaleCaseId").ValueKind);
    }
}
