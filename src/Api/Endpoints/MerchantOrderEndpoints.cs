using System.Globalization;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Api.Platform;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// A merchant's orders, from the order list's projection (eventually consistent: an order appears or changes once its
/// event reached the merchant's stream and the projection stored it). Phones are masked here; the full phone is only
/// in the single-order view of an order the merchant must ship.
/// </summary>
public static class MerchantOrderEndpoints
{
    public sealed record MerchantOrderList(IReadOnlyList<MerchantOrderRow> Items, string? NextCursor, IReadOnlyDictionary<string, int> Counts);

    public const string ExportTruncatedHeader = "X-Export-Truncated";
    public const string ExportNextCursorHeader = "X-Export-Next-Cursor";

    /// <summary>Rows asked of the projection per round trip while exporting.</summary>
    private const int ExportBatch = 1_000;

    private static readonly string[] ExportHeader =
    [
        "order_id", "placed_at_utc", "status", "after_sale", "room_id", "streamer_id", "product_id", "quantity", "unit_price_fen", "amount_fen",
        "refunded_fen", "paid_at_utc", "shipped_at_utc", "recipient", "phone", "province", "city", "district", "detail",
    ];

    public static void MapMerchantOrderEndpoints(this RouteGroupBuilder v1)
    {
        var orders = v1.MapGroup("/merchants/{merchantId}/orders").WithTags("Merchant orders");

        orders.MapGet("/", async Task<Ok<MerchantOrderList>> (string merchantId, [FromQuery(Name = "status")] string[]? status, string? roomId,
            string? productId, string? placedFrom, string? placedTo, [FromQuery(Name = "afterSale")] string[]? afterSale, string? cursor, int? limit,
            HttpContext http, IGrainFactory grains) =>
        {
            http.User.EnsureActsAs(Party.Merchant, Ids.Require(merchantId, "merchantId"));
            var filter = Filter(status, roomId, productId, placedFrom, placedTo, afterSale);
            var after = OrderListRules.DecodeCursor(cursor);
            var size = OrderListRules.PageSize(limit);
            var list = grains.GetGrain<IMerchantOrdersGrain>(0);
            var pageTask = list.List(merchantId, filter, after, size);
            var countTask = list.Count(merchantId, filter);
            var page = await pageTask;
            var counts = await countTask;
            return TypedResults.Ok(new MerchantOrderList(page.Items.Select(Masked).ToList(),
                page.Next is { } next ? OrderListRules.EncodeCursor(next) : null, CountsByStatus(counts)));
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead).Produces<MerchantOrderList>().Declares(StatusCodes.Status400BadRequest)
          .WithSummary("One page of the merchant's orders, newest first, filtered by status, room, product, time and after-sale state, with counts by status (the merchant, its app with orders.read, or an admin).");

        // The filtered list as CSV, newest first, at most OrderListRules.MaxExportRows rows; a longer result is cut there,
        // says so in X-Export-Truncated and hands the cursor of the rest in X-Export-Next-Cursor.
        orders.MapGet("/export.csv", async Task<FileContentHttpResult> (string merchantId, [FromQuery(Name = "status")] string[]? status,
            string? roomId, string? productId, string? placedFrom, string? placedTo, [FromQuery(Name = "afterSale")] string[]? afterSale,
            string? cursor, HttpContext http, IGrainFactory grains) =>
        {
            http.User.EnsureActsAs(Party.Merchant, Ids.Require(merchantId, "merchantId"));
            var filter = Filter(status, roomId, productId, placedFrom, placedTo, afterSale);
            var after = OrderListRules.DecodeCursor(cursor);
            var list = grains.GetGrain<IMerchantOrdersGrain>(0);
            var rows = new List<MerchantOrderRow>();
            OrderListPosition? next;
            do
            {
                var page = await list.List(merchantId, filter, after, Math.Min(ExportBatch, OrderListRules.MaxExportRows - rows.Count));
                rows.AddRange(page.Items);
                next = after = page.Next;
            } while (next is not null && rows.Count < OrderListRules.MaxExportRows);

            if (next is not null)
            {
                http.Response.Headers[ExportTruncatedHeader] = "true";
                http.Response.Headers[ExportNextCursorHeader] = OrderListRules.EncodeCursor(next);
            }
            var csv = CsvFiles.Write(ExportHeader, rows.Select(Masked), (w, r) =>
            {
                w.Text(r.OrderId);
                w.Time(r.PlacedAt);
                w.Text(Camel(r.Status.ToString()));
                w.Text(Camel(r.AfterSale.ToString()));
                w.Text(r.RoomId);
                w.Text(r.StreamerId);
                w.Text(r.ProductId);
                w.Number(r.Quantity);
                w.Number(r.UnitPrice);
                w.Number(r.Amount);
                w.Number(r.RefundedAmount);
                w.Time(r.PaidAt);
                w.Time(r.ShippedAt);
                var a = r.ShippingAddress;
                w.Text(a?.Recipient);
                w.Text(a?.Phone);
                w.Text(a?.Province);
                w.Text(a?.City);
                w.Text(a?.District);
                w.Text(a?.Detail);
            });
            return TypedResults.File(csv, CsvFiles.ContentType, $"orders-{merchantId}.csv");
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead).ProducesCsv()
          .DeclaresResponseHeader(StatusCodes.Status200OK, ExportTruncatedHeader, "true when the export stopped at its row limit.")
          .DeclaresResponseHeader(StatusCodes.Status200OK, ExportNextCursorHeader, "With X-Export-Truncated: the cursor to export the rest.")
          .Declares(StatusCodes.Status400BadRequest)
          .WithSummary("The filtered order list as CSV, cut at the export limit with X-Export-Truncated and X-Export-Next-Cursor (the merchant, its app with orders.read, or an admin).");

        // Operations: rebuild the merchant's list from the orders' and cases' durable state (a lost stream event left a row behind).
        v1.MapPost("/admin/merchants/{merchantId}/orders/rebuild", async Task<Ok<MerchantOrderRebuildResult>> (string merchantId, IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IMerchantOrderRebuildGrain>(Ids.Require(merchantId, "merchantId")).Run()))
            .RequireAuthorization(Roles.Admin).WithTags("Operations")
            .WithSummary("Rebuilds a merchant's order list from the durable state of its orders and after-sale cases: every row is replaced by the " +
                         "row its order implies (a lost refund or step comes back, a missing order appears, a row without an order goes); runs " +
                         "for one merchant are serialized and idempotent. Answers orders scanned, rows written, changed, removed and skipped; admins only.")
            .Declares(StatusCodes.Status400BadRequest);
    }

    private static MerchantOrderFilter Filter(string[]? status, string? roomId, string? productId, string? placedFrom, string? placedTo, string[]? afterSale) =>
        OrderListRules.Filter(status, roomId, productId, Time(placedFrom, "placedFrom"), Time(placedTo, "placedTo"), afterSale);

    private static DateTimeOffset? Time(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) return null;
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at : throw DomainException.Invalid(field, $"{field} must be an ISO 8601 time, e.g. 2026-11-27T08:00:00Z.");
    }

    /// <summary>Lists never show a full phone.</summary>
    private static MerchantOrderRow Masked(MerchantOrderRow row) => row with { ShippingAddress = row.ShippingAddress?.Masked() };

    /// <summary>Every status with its count (zeros included), named as the API names statuses.</summary>
    private static IReadOnlyDictionary<string, int> CountsByStatus(IReadOnlyList<StatusCount> counts) =>
        Enum.GetValues<OrderStatus>().ToDictionary(s => Camel(s.ToString()), s => counts.FirstOrDefault(c => c.Status == s)?.Count ?? 0);

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
