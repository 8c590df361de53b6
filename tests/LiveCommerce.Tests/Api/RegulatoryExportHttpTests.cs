using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>The regulatory export through HTTP: admins only, JSON and CSV, bad input refused as problems.</summary>
public sealed class RegulatoryExportHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    // The fixture's clock starts 2026-11-24T02:00Z, 10:00 in Shanghai: the business day of every payment here.
    private const string Day = "from=2026-11-24&to=2026-11-24";
    private const string CreditCode = "91330100799655058B";

    [Fact]
    public async Task An_admin_exports_a_merchants_identity_income_and_payment_records_as_json_and_csv()
    {
        var shop = await OpenAsync(api);
        long paid = 0;
        for (var i = 0; i < 2; i++)
        {
            var buyer = await shop.BuyerAsync("b" + i);
            var placed = await Read(await shop.PlaceAsync(buyer, "k" + i), HttpStatusCode.Created);
            paid += (await shop.PayAsync(buyer, placed.GetProperty("orderId").GetString()!)).GetProperty("paidAmount").GetInt64();
        }
        var identity = await Ok(shop.Admin.PutAsJsonAsync($"/v1/admin/merchants/{shop.MerchantId}/identity",
            new { legalName = "Hangzhou Face Cream Co., Ltd.", unifiedSocialCreditCode = CreditCode, registeredAddress = "1 Wensan Road, Hangzhou" }));
        Assert.Equal(shop.MerchantId, identity.GetProperty("settlementAccountId").GetString());

        // Postings reach the accounts just after the payment: wait until both orders are in.
        var report = await EventuallyAsync(async () => await Ok(shop.Admin.GetAsync($"/v1/admin/merchants/{shop.MerchantId}/income-report?{Day}")),
            r => r.GetProperty("totals").GetProperty("paymentCount").GetInt32() == 2);
        var totals = report.GetProperty("totals");
        Assert.Equal(paid, totals.GetProperty("grossSales").GetInt64());
        Assert.Equal(paid, totals.GetProperty("netSales").GetInt64());
        Assert.Equal(paid * 500 / 10_000, totals.GetProperty("platformFees").GetInt64()); // 500 bp of 9,900 is a whole 495 fen
        Assert.Equal(CreditCode, report.GetProperty("identity").GetProperty("unifiedSocialCreditCode").GetString());
        Assert.Equal("2026-11-23T16:00:00+00:00", report.GetProperty("periodStart").GetString());

        var summary = await shop.Admin.GetAsync($"/v1/admin/merchants/{shop.MerchantId}/income-report.csv?{Day}");
        Assert.Equal("text/csv", summary.Content.Headers.ContentType?.MediaType);
        var row = Assert.Single(CsvRows.Parse(await summary.Content.ReadAsByteArrayAsync()));
        Assert.Equal((paid.ToString(), CreditCode, "2"), (row["gross_sales_fen"], row["unified_social_credit_code"], row["payment_count"]));

        // Nine parties per order (seller, streamer, six distributors, platform): 18 payment lines, walked five at a time.
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await Ok(shop.Admin.GetAsync($"/v1/admin/merchants/{shop.MerchantId}/payment-records?{Day}&limit=5{(cursor is null ? "" : "&cursor=" + cursor)}"));
            items.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);
        Assert.Equal(18, items.Count);
        Assert.All(items, i => Assert.Equal("payment", i.GetProperty("kind").GetString()));
        Assert.Equal(paid, items.Sum(i => i.GetProperty("amount").GetInt64()));
        Assert.Equal(2, items.Count(i => i.GetProperty("party").GetString() == "seller"));

        var records = await shop.Admin.GetAsync($"/v1/admin/merchants/{shop.MerchantId}/payment-records.csv?{Day}");
        Assert.Equal("text/csv", records.Content.Headers.ContentType?.MediaType);
        var lines = CsvRows.Parse(await records.Content.ReadAsByteArrayAsync());
        Assert.Equal(18, lines.Count);
        Assert.Equal(paid, lines.Sum(l => long.Parse(l["amount_fen"])));
        Assert.All(lines, l => Assert.Equal("2026-11-24", l["business_date"]));
    }

    [Fact]
    public async Task Only_admins_export_and_bad_input_is_a_problem_that_changes_nothing()
    {
        var shop = await OpenAsync(api);
        var root = $"/v1/admin/merchants/{shop.MerchantId}";
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.Merchant.GetAsync($"{root}/income-report?{Day}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.Merchant.GetAsync($"{root}/payment-records.csv?{Day}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.CreateClient().GetAsync($"{root}/income-report?{Day}")).StatusCode);

        foreach (var (query, field) in new[]
                 {
                     ("income-report?from=2026-11-25&to=2026-11-24", "to"), ("income-report?from=2026-01-01&to=2027-01-02", "to"),
                     ("income-report?to=2026-11-24", "from"), ("payment-records?" + Day + "&cursor=bm90LWEtY3Vyc29y", "cursor"),
                     ("payment-records?" + Day + "&limit=0", "limit"), ("payment-records.csv?from=2026-11-25&to=2026-11-24", "to"),
                 })
        {
            var response = await shop.Admin.GetAsync($"{root}/{query}");
            var problem = await Read(response, HttpStatusCode.BadRequest);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }

        // A merchant with neither a settlement account nor an identity is unknown, in every format.
        foreach (var path in new[] { "income-report", "income-report.csv", "payment-records", "payment-records.csv", "identity" })
            Assert.Equal(HttpStatusCode.NotFound, (await shop.Admin.GetAsync($"/v1/admin/merchants/{shop.Prefix}-nobody/{path}?{Day}")).StatusCode);

        var refused = await Read(await shop.Admin.PutAsJsonAsync($"{root}/identity",
            new { legalName = "Example Co.", unifiedSocialCreditCode = "91330100799655058C" }), HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("unifiedSocialCreditCode", out _), refused.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Admin.GetAsync($"{root}/identity")).StatusCode);
    }

    private static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> read, Func<JsonElement, bool> done)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) throw new TimeoutException(value.ToString());
            await Task.Delay(50);
        }
    }
}
