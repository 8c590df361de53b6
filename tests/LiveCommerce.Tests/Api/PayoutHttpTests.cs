using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// A payout answers its receipt: the payout id (the Idempotency-Key), the amount, the ledger entry that records it (the
/// statement's line, the one the payout.paid webhook names), when, and the balances right after it. A repeat of the key
/// answers the same receipt, marked replayed, and pays nothing; the settlement queries refuse a missing range with
/// their own problem naming the parameter.
/// </summary>
public sealed class PayoutHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static Task<HttpResponseMessage> PayoutAsync(HttpShop shop, string key, long amount)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{shop.MerchantId}/payouts") { Content = JsonContent.Create(new { amount }) };
        request.Headers.Add("Idempotency-Key", key);
        return shop.Merchant.SendAsync(request);
    }

    /// <summary>A settled order: the merchant's share is available to pay out.</summary>
    private async Task<long> AvailableAsync(HttpShop shop)
    {
        var buyer = await shop.BuyerAsync("pia");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "pia-1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF-pia" }));
        await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
        await Ok(buyer.PostAsync($"/v1/orders/{orderId}/confirm", null));
        api.Clock.Advance(TimeSpan.FromDays(4)); // past the next business day whatever weekday it is
        await Ok(shop.Admin.PostAsync($"/v1/accounts/{shop.MerchantId}/settlement-runs", null));
        return (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"))).GetProperty("available").GetInt64();
    }

    [Fact]
    public async Task A_payout_answers_its_receipt_and_a_replay_answers_the_same_receipt_without_paying_again()
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 5000);
        var m = shop.MerchantId;
        var available = await AvailableAsync(shop);
        Assert.True(available > 1);
        var amount = available / 2;
        var paidAt = api.Clock.GetUtcNow();

        var first = await PayoutAsync(shop, "po-r1", amount);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var paid = System.Text.Json.JsonDocument.Parse(firstBody).RootElement;
        var receipt = paid.GetProperty("receipt").GetString();
        Assert.Equal(("po-r1", m, amount, $"payout:{m}:po-r1", paidAt), (paid.GetProperty("payoutId").GetString(), paid.GetProperty("accountId").GetString(),
            paid.GetProperty("amount").GetInt64(), receipt, paid.GetProperty("paidAt").GetDateTimeOffset()));
        Assert.Equal((available - amount, amount), (paid.GetProperty("availableAfter").GetInt64(), paid.GetProperty("paidOutAfter").GetInt64()));
        Assert.False(paid.TryGetProperty("replayed", out _)); // said by the header only
        Assert.Equal(new LiveCommerce.Contracts.Payments.PayoutReceipt("po-r1", m, amount, $"payout:{m}:po-r1", paidAt, available - amount, amount),
            System.Text.Json.JsonSerializer.Deserialize<LiveCommerce.Contracts.Payments.PayoutReceipt>(firstBody, Json)); // a .NET client reads it back

        // Later, the same key: the original receipt byte for byte, marked replayed, and nothing more paid.
        api.Clock.Advance(TimeSpan.FromMinutes(10));
        var replay = await PayoutAsync(shop, "po-r1", amount);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        var balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{m}"));
        Assert.Equal((available - amount, amount), (balance.GetProperty("available").GetInt64(), balance.GetProperty("paidOut").GetInt64()));

        // The receipt is the statement's line for the payout.
        var day = DateOnly.FromDateTime(paidAt.UtcDateTime);
        var statement = await shop.Merchant.GetStringAsync($"/v1/accounts/{m}/statement.csv?from={day.AddDays(-1):yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}");
        var line = Assert.Single(statement.Split('\n'), l => l.Contains(",payout,"));
        Assert.StartsWith(receipt + ",", line);
        Assert.Contains($",-{amount},", line);

        // The same key for another amount is a conflict and pays nothing.
        await Read(await PayoutAsync(shop, "po-r1", amount - 1), HttpStatusCode.Conflict);
        Assert.Equal(amount, (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{m}"))).GetProperty("paidOut").GetInt64());
    }

    [Theory]
    [InlineData("batches")]
    [InlineData("statement.csv")]
    public async Task A_settlement_query_without_from_is_the_apis_own_problem_naming_from(string path)
    {
        var admin = await api.ClientAs("payout-admin", "admin");
        var response = await admin.GetAsync($"/v1/accounts/m-none/{path}?to=2026-11-24");
        var problem = await Read(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("from", out _), problem.ToString());
    }
}
