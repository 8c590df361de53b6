using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// Analytics reads (GPM, funnels, retention, price and time/region tables, lifetime value, dormant buyers), the
/// rebuild from durable order state, and the chart page that reads them with the browser-session cookie.
/// </summary>
public static class AnalyticsEndpoints
{
    private const string PageResource = "analytics/dashboard.html";

    public static void MapAnalyticsEndpoints(this RouteGroupBuilder v1)
    {
        var analytics = v1.MapGroup("/analytics").WithTags("Analytics");

        // A room's report: its streamer and admins see all of it; a merchant that sold in the room sees its own products.
        analytics.MapGet("/rooms/{roomId}", async Task<Ok<RoomAnalyticsView>> (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(roomId, "roomId");
            var room = await grains.Ref<ILiveRoomGrain>(roomId).GetView(); // 404 for a room never opened
            var report = await grains.Ref<IRoomAnalyticsGrain>(roomId).GetReport();
            var user = http.User;
            if (user.IsAdmin() || user.Is(Party.Streamer, room.StreamerId)) return TypedResults.Ok(report);
            if (report.Products.Any(p => user.Is(Party.Merchant, p.MerchantId)))
                return TypedResults.Ok(report with { Products = report.Products.Where(p => user.Is(Party.Merchant, p.MerchantId)).ToList() });
            throw DomainException.Forbidden("Only the room's streamer, a merchant that sold in it, or an admin may read its analytics.");
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("A room's report: GPM, funnel, per-product sales (the room's streamer or an admin; a merchant that sold in it sees its own products).");

        analytics.MapGet("/streamers/{streamerId}", async Task<Ok<StreamerAnalyticsView>> (string streamerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            http.User.EnsureActsAs(Party.Streamer, streamerId);
            await grains.Ref<IStreamerGrain>(streamerId).GetProfile(); // 404 for an unknown streamer
            return TypedResults.Ok(await grains.Ref<IStreamerAnalyticsGrain>(streamerId).GetReport());
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("A streamer's report over its rooms: GMV, GPM, funnel, retention (the streamer or an admin).");

        analytics.MapGet("/merchants/{merchantId}", async Task<Ok<MerchantAnalyticsView>> (string merchantId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(merchantId, "merchantId");
            http.User.EnsureActsAs(Party.Merchant, merchantId);
            return TypedResults.Ok(await grains.Ref<IMerchantAnalyticsGrain>(merchantId).GetReport());
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("A merchant's report: GMV, refunds, GPM, funnel, retention, sales by hour, city, price band and product (the merchant or an admin).");

        analytics.MapGet("/platform", async Task<Ok<PlatformAnalyticsView>> (IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetPlatform())).RequireAuthorization(Roles.Admin)
            .Declares().WithSummary("Platform-wide figures: views, orders placed and paid, GMV, conversion, by hour, city and price band (admins).");

        analytics.MapGet("/buyers/{buyerId}/lifetime-value", async Task<Ok<LifetimeValueView>> (string buyerId, int? weeks, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetLifetimeValue(buyerId, weeks));
        }).RequireAuthorization("authenticated").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("A buyer's lifetime value over the given number of weeks (the buyer or an admin).");

        analytics.MapGet("/dormant-buyers", async Task<Ok<DormantBuyerPage>> (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return TypedResults.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetDormantBuyers(o, l));
        }).RequireAuthorization(Roles.Admin).Declares(StatusCodes.Status400BadRequest)
          .WithSummary("One page of buyers with no order since the dormancy cutoff, for re-engagement (admins).");

        // The chart page: static HTML and script (no data in it); its fetches carry the browser-session cookie.
        analytics.MapGet("/ui", () =>
        {
            using var stream = typeof(AnalyticsEndpoints).Assembly.GetManifestResourceStream(PageResource)
                ?? throw new InvalidOperationException($"Embedded resource {PageResource} is missing.");
            using var reader = new StreamReader(stream);
            return Results.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();

        v1.MapPost("/admin/analytics/rebuild", async Task<Ok<RebuildResult>> (IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IAnalyticsRebuildGrain>("analytics").Run()))
            .RequireAuthorization(Roles.Admin).WithTags("Operations").Declares()
            .WithSummary("Rebuilds every analytics view from the durable order state (admins).");
    }
}
