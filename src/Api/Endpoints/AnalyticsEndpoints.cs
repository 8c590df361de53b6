using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;

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
        analytics.MapGet("/rooms/{roomId}", async (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(roomId, "roomId");
            var room = await grains.Ref<ILiveRoomGrain>(roomId).GetView(); // 404 for a room never opened
            var report = await grains.Ref<IRoomAnalyticsGrain>(roomId).GetReport();
            var user = http.User;
            if (user.IsAdmin() || user.Is(Party.Streamer, room.StreamerId)) return Results.Ok(report);
            if (report.Products.Any(p => user.Is(Party.Merchant, p.MerchantId)))
                return Results.Ok(report with { Products = report.Products.Where(p => user.Is(Party.Merchant, p.MerchantId)).ToList() });
            throw DomainException.Forbidden("Only the room's streamer, a merchant that sold in it, or an admin may read its analytics.");
        }).RequireAuthorization("authenticated");

        analytics.MapGet("/streamers/{streamerId}", async (string streamerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            http.User.EnsureActsAs(Party.Streamer, streamerId);
            await grains.Ref<IStreamerGrain>(streamerId).GetProfile(); // 404 for an unknown streamer
            return Results.Ok(await grains.Ref<IStreamerAnalyticsGrain>(streamerId).GetReport());
        }).RequireAuthorization("authenticated");

        analytics.MapGet("/merchants/{merchantId}", async (string merchantId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(merchantId, "merchantId");
            http.User.EnsureActsAs(Party.Merchant, merchantId);
            return Results.Ok(await grains.Ref<IMerchantAnalyticsGrain>(merchantId).GetReport());
        }).RequireAuthorization("authenticated");

        analytics.MapGet("/platform", async (IGrainFactory grains) =>
            Results.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetPlatform())).RequireAuthorization(Roles.Admin);

        analytics.MapGet("/buyers/{buyerId}/lifetime-value", async (string buyerId, int? weeks, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return Results.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetLifetimeValue(buyerId, weeks));
        }).RequireAuthorization("authenticated");

        analytics.MapGet("/dormant-buyers", async (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return Results.Ok(await grains.GetGrain<IAnalyticsQueryGrain>(0).GetDormantBuyers(o, l));
        }).RequireAuthorization(Roles.Admin);

        // The chart page: static HTML and script (no data in it); its fetches carry the browser-session cookie.
        analytics.MapGet("/ui", () =>
        {
            using var stream = typeof(AnalyticsEndpoints).Assembly.GetManifestResourceStream(PageResource)
                ?? throw new InvalidOperationException($"Embedded resource {PageResource} is missing.");
            using var reader = new StreamReader(stream);
            return Results.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();

        v1.MapPost("/admin/analytics/rebuild", async (IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IAnalyticsRebuildGrain>("analytics").Run()))
            .RequireAuthorization(Roles.Admin).WithTags("Operations");
    }
}
