using System.Globalization;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Payments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// The regulatory export: per merchant and period (whole business days, Asia/Shanghai by default), the merchant's
/// identity and income totals, and every payment record behind them, as JSON or CSV. Computed from the ledger by
/// <see cref="IIncomeReportGrain"/>; admins only.
/// </summary>
public static class RegulatoryExportEndpoints
{
    public sealed record IdentityRequest(string? LegalName, string? UnifiedSocialCreditCode, string? RegisteredAddress);

    public sealed record RecordPage(IReadOnlyList<PaymentRecord> Items, string? NextCursor);

    private static readonly string[] ReportHeader =
    [
        "merchant_id", "legal_name", "unified_social_credit_code", "registered_address", "settlement_account_id", "from", "to", "time_zone",
        "gross_sales_fen", "refunds_fen", "net_sales_fen", "platform_fees_fen", "commissions_fen", "merchant_income_fen", "settled_fen",
        "paid_out_fen", "order_count", "payment_count", "refund_count",
    ];

    private static readonly string[] RecordHeader =
        ["entry_id", "business_date", "at_utc", "order_id", "account_id", "party", "kind", "ledger_kind", "amount_fen", "batch_id"];

    public static void MapRegulatoryExportEndpoints(this RouteGroupBuilder v1)
    {
        var merchant = v1.MapGroup("/admin/merchants/{merchantId}").WithTags("Regulatory export").RequireAuthorization(Roles.Admin);

        merchant.MapPut("/identity", async Task<Ok<MerchantIdentityView>> (string merchantId, IdentityRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var identity = new MerchantIdentity(body.LegalName, body.UnifiedSocialCreditCode, body.RegisteredAddress);
            return TypedResults.Ok(await grains.Ref<IMerchantIdentityGrain>(Ids.Require(merchantId, "merchantId")).Set(identity, http.User.Subject()));
        }).WithSummary("Records a merchant's legal identity for the regulatory export (legal name, unified social credit code, registered address); admins only.")
          .Declares(StatusCodes.Status400BadRequest);

        merchant.MapGet("/identity", async Task<Ok<MerchantIdentityView>> (string merchantId, IGrainFactory grains) =>
        {
            var identity = await grains.Ref<IMerchantIdentityGrain>(Ids.Require(merchantId, "merchantId")).Get();
            return TypedResults.Ok(identity ?? throw DomainException.NotFound("merchant identity", merchantId));
        }).WithSummary("A merchant's recorded legal identity; admins only.").Declares();

        merchant.MapGet("/income-report", async Task<Ok<IncomeReport>> (string merchantId, DateOnly? from, DateOnly? to, IGrainFactory grains) =>
        {
            var (f, t) = Period(from, to);
            return TypedResults.Ok(await Reports(grains).Report(Ids.Require(merchantId, "merchantId"), f, t));
        }).WithSummary("A merchant's income for whole business days from..to (at most 366): identity, gross sales, refunds, net sales, platform fees, " +
                       "commissions, the merchant's own income, order, payment and refund counts, computed from the ledger; admins only.")
          .RequiresQuery("from", "to").Declares(StatusCodes.Status400BadRequest);

        merchant.MapGet("/income-report.csv", async Task<FileContentHttpResult> (string merchantId, DateOnly? from, DateOnly? to, IGrainFactory grains) =>
        {
            var (f, t) = Period(from, to);
            var report = await Reports(grains).Report(Ids.Require(merchantId, "merchantId"), f, t);
            var csv = CsvFiles.Write(ReportHeader, [report], (w, r) =>
            {
                w.Text(r.MerchantId);
                w.Text(r.Identity?.LegalName);
                w.Text(r.Identity?.UnifiedSocialCreditCode);
                w.Text(r.Identity?.RegisteredAddress);
                w.Text(r.Identity?.SettlementAccountId ?? r.MerchantId);
                w.Text(r.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.Text(r.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.Text(r.TimeZone);
                var s = r.Totals;
                foreach (var amount in new[] { s.GrossSales, s.Refunds, s.NetSales, s.PlatformFees, s.Commissions, s.MerchantIncome, s.Settled, s.PaidOut })
                    w.Number(amount);
                w.Number(s.OrderCount);
                w.Number(s.PaymentCount);
                w.Number(s.RefundCount);
            });
            return TypedResults.File(csv, CsvFiles.ContentType, $"income-{merchantId}-{f:yyyyMMdd}-{t:yyyyMMdd}.csv");
        }).WithSummary("The income report as a one-row CSV; admins only.")
          .ProducesCsv().RequiresQuery("from", "to").Declares(StatusCodes.Status400BadRequest);

        merchant.MapGet("/payment-records", async Task<Ok<RecordPage>> (string merchantId, DateOnly? from, DateOnly? to, string? cursor, int? limit,
            IGrainFactory grains) =>
        {
            var (f, t) = Period(from, to);
            var page = await Reports(grains).Records(Ids.Require(merchantId, "merchantId"), f, t, PaymentRecordCursor.Decode(cursor), ReportPeriod.PageSize(limit));
            return TypedResults.Ok(new RecordPage(page.Items, page.Next?.Encode()));
        }).WithSummary("One page of the period's payment records (every payment, refund and split line of the merchant's orders, its settlements " +
                       "and payouts), order by order; follow nextCursor until it is null. A page may hold fewer than limit records; admins only.")
          .RequiresQuery("from", "to").Declares(StatusCodes.Status400BadRequest);

        // Every record of the period, streamed page by page: nothing but one page is held in memory.
        merchant.MapGet("/payment-records.csv", async Task<PushStreamHttpResult> (string merchantId, DateOnly? from, DateOnly? to, IGrainFactory grains) =>
        {
            var (f, t) = Period(from, to);
            Ids.Require(merchantId, "merchantId");
            var reports = Reports(grains);
            // The first page is read before the answer starts, so a bad request or an unknown merchant is still a problem answer.
            var first = await reports.Records(merchantId, f, t, null, ReportPeriod.MaxPageSize);
            return TypedResults.Stream(async output =>
            {
                var page = first;
                var isFirst = true;
                while (true)
                {
                    await CsvFiles.WritePageAsync(output, isFirst, RecordHeader, page.Items, WriteRecord, CancellationToken.None);
                    isFirst = false;
                    if (page.Next is null) break;
                    page = await reports.Records(merchantId, f, t, page.Next, ReportPeriod.MaxPageSize);
                }
            }, CsvFiles.ContentType, $"payment-records-{merchantId}-{f:yyyyMMdd}-{t:yyyyMMdd}.csv");
        }).WithSummary("Every payment record of the period as CSV, streamed; admins only.")
          .ProducesCsv().RequiresQuery("from", "to").Declares(StatusCodes.Status400BadRequest);
    }

    private static void WriteRecord(CsvHelper.CsvWriter w, PaymentRecord r)
    {
        w.Text(r.EntryId);
        w.Text(r.BusinessDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.Time(r.At);
        w.Text(r.OrderId);
        w.Text(r.AccountId);
        w.Text(r.Party.ToString().ToLowerInvariant());
        w.Text(r.Kind.ToString().ToLowerInvariant());
        w.Text(r.LedgerKind);
        w.Number(r.Amount);
        w.Text(r.BatchId);
    }

    private static IIncomeReportGrain Reports(IGrainFactory grains) => grains.GetGrain<IIncomeReportGrain>(0);

    private static (DateOnly From, DateOnly To) Period(DateOnly? from, DateOnly? to)
    {
        var f = RequestHelpers.Require(from, "from");
        var t = RequestHelpers.Require(to, "to");
        ReportPeriod.Validate(f, t);
        return (f, t);
    }
}
