using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// The regulatory export against a real ledger in PostgreSQL: orders paid, refunded before and after settlement,
/// settled T+0 and paid out, on both sides of Shanghai midnights. The export's totals are compared with the ledger
/// summed here in SQL over hard-coded UTC bounds, and with the orders' and the account's own figures.
/// </summary>
public sealed class PostgresRegulatoryExportTests
{
    // Shanghai is UTC+8: business day 2026-11-25 is [2026-11-24T16:00Z, 2026-11-25T16:00Z).
    private static readonly DateTimeOffset Nov24Late = new(2026, 11, 24, 15, 30, 0, TimeSpan.Zero);   // 11-24 23:30 Shanghai
    private static readonly DateTimeOffset Nov25Early = new(2026, 11, 24, 17, 0, 0, TimeSpan.Zero);   // 11-25 01:00 Shanghai (UTC date 11-24)
    private static readonly DateTimeOffset Nov25Late = new(2026, 11, 25, 15, 30, 0, TimeSpan.Zero);   // 11-25 23:30 Shanghai
    private static readonly DateTimeOffset Nov26Early = new(2026, 11, 25, 16, 30, 0, TimeSpan.Zero);  // 11-26 00:30 Shanghai (UTC date 11-25)
    private static readonly DateOnly Nov24 = new(2026, 11, 24), Nov25 = new(2026, 11, 25), Nov26 = new(2026, 11, 26);

    // Long before and after the scenario: every line of it.
    private static readonly (DateTimeOffset From, DateTimeOffset To) Ever = (new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static readonly string[] Payments = ["credit_pending", "credit_on_hold"];
    private static readonly string[] Refunds = ["refund", "clawback"];

    [Fact]
    public async Task The_export_equals_the_ledger_to_the_fen_and_cuts_periods_at_Shanghai_midnight()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        var clock = new FakeTimeProvider(Nov24Late);
        var clusterId = "pg-export-" + Guid.NewGuid().ToString("N")[..8];
        await using var silo = await PostgresSilo.StartAsync(connectionString, clusterId, services: PostgresSilo.FakeClockServices(clock));
        var grains = silo.Client;
        var shop = new ShopScenario(grains);
        await shop.SetUpAsync(stock: 10, livePrice: 9_900);
        foreach (var account in shop.AccountIds) await grains.GetGrain<ISettlementAccountGrain>(account).SetCycle(0, "test");
        var buyers = await shop.RegisterBuyersAsync(4);
        var merchant = shop.MerchantId;
        var ids = new string[4];

        // A: paid 11-24 23:30 Shanghai.
        ids[0] = (await PaidAsync(shop, buyers[0])).OrderId;
        await WaitForLinesAsync(connectionString, ids[0], Payments, 4);

        // B: paid 11-25 01:00, shipped, delivered, confirmed and settled T+0 the same minute. C: paid, part refunded before shipping.
        clock.SetUtcNow(Nov25Early);
        var b = shop.Order(buyers[1], "k1");
        ids[1] = (await PaidAsync(shop, buyers[1])).OrderId;
        await b.Ship(merchant, "SBX-EXPORT-1", Carriers.Sandbox);
        await b.MarkDelivered();
        await b.ConfirmReceipt(buyers[1]);
        await ShopScenario.WaitForAsync(b, o => o.Status == OrderStatus.Settled);
        ids[2] = (await PaidAsync(shop, buyers[2])).OrderId;
        await shop.Order(buyers[2], "k1").Refund(new RefundRequest("r-c", 1_234, "out of stock", RefundInitiator.Merchant, merchant));
        await WaitForLinesAsync(connectionString, ids[2], ["refund"], 4);

        // 11-25 23:30: B is refunded in part after settlement (clawed back), and the merchant is paid out.
        clock.SetUtcNow(Nov25Late);
        await b.Refund(new RefundRequest("r-b", 2_000, "goodwill", RefundInitiator.Merchant, merchant));
        await WaitForLinesAsync(connectionString, ids[1], ["clawback"], 4);
        await grains.GetGrain<ISettlementAccountGrain>(merchant).Payout("payout-1", 1_000, "admin");

        // 11-26 00:30: A refunded in part, D paid.
        clock.SetUtcNow(Nov26Early);
        await shop.Order(buyers[0], "k1").Refund(new RefundRequest("r-a", 500, "late", RefundInitiator.Merchant, merchant));
        await WaitForLinesAsync(connectionString, ids[0], ["refund"], 4);
        ids[3] = (await PaidAsync(shop, buyers[3])).OrderId;
        await WaitForLinesAsync(connectionString, ids[3], Payments, 4);

        var reports = grains.GetGrain<IIncomeReportGrain>(0);
        var orders = new List<OrderView>();
        foreach (var (buyer, id) in buyers.Zip(ids)) orders.Add(await shop.Order(buyer, "k1").Get());

        // One business day, against the ledger summed in SQL over that day's UTC bounds.
        var day = await reports.Report(merchant, Nov25, Nov25);
        var ledger = await SumLedgerAsync(connectionString, merchant, shop.PlatformAccountId, ids,
            new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 25, 16, 0, 0, TimeSpan.Zero));
        AssertEqualsLedger(ledger, day.Totals);
        Assert.Equal(orders[1].PaidAmount + orders[2].PaidAmount, day.Totals.GrossSales); // B and C only: A is 11-24, D is 11-26 in Shanghai
        Assert.Equal(1_234 + 2_000, day.Totals.Refunds);
        Assert.Equal(1_000, day.Totals.PaidOut);
        Assert.Equal((2, 2, 2), (day.Totals.OrderCount, day.Totals.PaymentCount, day.Totals.RefundCount));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero), day.PeriodStart);

        // The days around it hold the rest.
        var before = await reports.Report(merchant, Nov24, Nov24);
        Assert.Equal((orders[0].PaidAmount, 0L, 1), (before.Totals.GrossSales, before.Totals.Refunds, before.Totals.PaymentCount));
        var after = await reports.Report(merchant, Nov26, Nov26);
        Assert.Equal((orders[3].PaidAmount, 500L, 1), (after.Totals.GrossSales, after.Totals.Refunds, after.Totals.PaymentCount));

        // The three days: every order's payment and refunds, and the merchant account's own totals.
        var all = await reports.Report(merchant, Nov24, Nov26);
        var whole = await SumLedgerAsync(connectionString, merchant, shop.PlatformAccountId, ids, Ever.From, Ever.To);
        AssertEqualsLedger(whole, all.Totals);
        Assert.Equal(orders.Sum(o => o.PaidAmount), all.Totals.GrossSales);
        Assert.Equal(orders.Sum(o => o.RefundedAmount), all.Totals.Refunds);
        var balance = await grains.GetGrain<ISettlementAccountGrain>(merchant).GetBalance();
        Assert.Equal(balance.TotalCredited - balance.TotalReversed, all.Totals.MerchantIncome);
        Assert.Equal(balance.PaidOut, all.Totals.PaidOut);
        Assert.Equal(orders.SelectMany(o => o.Split).Where(l => l.AccountId == shop.PlatformAccountId).Sum(l => l.Amount - l.Refunded), all.Totals.PlatformFees);
        Assert.Equal(all.Totals.NetSales, all.Totals.MerchantIncome + all.Totals.PlatformFees + all.Totals.Commissions);

        // The records, walked three at a time, are exactly the ledger's lines of those orders and the payout.
        var records = new List<PaymentRecord>();
        PaymentRecordCursor? cursor = null;
        do
        {
            var page = await reports.Records(merchant, Nov24, Nov26, cursor, 3);
            Assert.InRange(page.Items.Count, 0, 3);
            records.AddRange(page.Items);
            cursor = page.Next;
        } while (cursor is not null);
        Assert.Equal(records.Count, records.Select(r => r.EntryId).Distinct().Count());
        Assert.Equal(whole.AllLines, records.Count);
        Assert.Equal(all.Totals.GrossSales, records.Where(r => r.Kind == RecordKind.Payment).Sum(r => r.Amount));
        Assert.Equal(Nov25, records.Single(r => r.Kind == RecordKind.Payout).BusinessDate);
        Assert.All(records.Where(r => r.OrderId == ids[0] && r.Kind == RecordKind.Payment), r => Assert.Equal(Nov24, r.BusinessDate));

        var unknown = await Assert.ThrowsAsync<DomainException>(() => reports.Report(shop.Prefix + "-nobody", Nov24, Nov26));
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
    }

    private static async Task<OrderView> PaidAsync(ShopScenario shop, string buyer)
    {
        await shop.PlaceAsync(buyer);
        var paid = await shop.PayAsync(buyer);
        Assert.Equal(OrderStatus.Paid, paid.Status);
        return paid;
    }

    private sealed record LedgerSums(long Gross, long Refunds, long Platform, long Seller, long Settled, long PaidOut, long PaymentLines, long AllLines);

    private static void AssertEqualsLedger(LedgerSums ledger, IncomeTotals totals)
    {
        Assert.Equal(ledger.Gross, totals.GrossSales);
        Assert.Equal(ledger.Refunds, totals.Refunds);
        Assert.Equal(ledger.Gross - ledger.Refunds, totals.NetSales);
        Assert.Equal(ledger.Platform, totals.PlatformFees);
        Assert.Equal(ledger.Seller, totals.MerchantIncome);
        Assert.Equal(ledger.Settled, totals.Settled);
        Assert.Equal(ledger.PaidOut, totals.PaidOut);
        Assert.Equal(ledger.PaymentLines, totals.PaymentCount);
    }

    /// <summary>The ledger summed by SQL alone, over the given orders and UTC instants (no code of the export involved).</summary>
    private static async Task<LedgerSums> SumLedgerAsync(string connectionString, string merchant, string platform, string[] orders,
        DateTimeOffset from, DateTimeOffset to)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT
              coalesce(sum(amount) FILTER (WHERE kind IN ('credit_pending', 'credit_on_hold') AND order_id = ANY(@orders)), 0),
              coalesce(-sum(amount) FILTER (WHERE kind IN ('refund', 'clawback') AND order_id = ANY(@orders)), 0),
              coalesce(sum(amount) FILTER (WHERE kind IN ('credit_pending', 'credit_on_hold', 'refund', 'clawback') AND account_id = @platform AND order_id = ANY(@orders)), 0),
              coalesce(sum(amount) FILTER (WHERE kind IN ('credit_pending', 'credit_on_hold', 'refund', 'clawback') AND account_id = @merchant), 0),
              coalesce(sum(amount) FILTER (WHERE kind = 'settle' AND account_id = @merchant), 0),
              coalesce(-sum(amount) FILTER (WHERE kind = 'payout' AND account_id = @merchant), 0),
              count(*) FILTER (WHERE kind IN ('credit_pending', 'credit_on_hold') AND account_id = @merchant),
              count(*) FILTER (WHERE kind IN ('credit_pending', 'credit_on_hold', 'refund', 'clawback', 'settle') AND order_id = ANY(@orders)
                               OR (kind = 'payout' AND account_id = @merchant))
            FROM ledger_entries
            WHERE created_at >= @from AND created_at < @to AND (order_id = ANY(@orders) OR account_id = @merchant)
            """, connection);
        command.Parameters.AddWithValue("orders", orders);
        command.Parameters.AddWithValue("platform", platform);
        command.Parameters.AddWithValue("merchant", merchant);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new LedgerSums(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
            reader.GetInt64(6), reader.GetInt64(7));
    }

    /// <summary>Postings reach the accounts after the order's call returns: wait until the ledger holds them.</summary>
    private static async Task WaitForLinesAsync(string connectionString, string orderId, string[] kinds, int count)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var found = await PostgresDatabase.ScalarAsync<long>(connectionString,
                "SELECT count(*) FROM ledger_entries WHERE order_id = @order AND kind = ANY(@kinds)", ("order", orderId), ("kinds", kinds));
            if (found >= count) return;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"order {orderId}: {found} of {count} {string.Join('/', kinds)} lines");
            await Task.Delay(50);
        }
    }
}
