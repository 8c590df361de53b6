using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Contracts.Traffic;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Trust scores, the buyer's feed, and the operators' ranking configuration.</summary>
public static class TrafficEndpoints
{
    public static void MapTrafficEndpoints(this RouteGroupBuilder v1)
    {
        // Every score comes with its components and the counts behind them, so merchants can see why.
        v1.MapGet("/streamers/{streamerId}/trust", async (string streamerId, string? viewerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            if (viewerId is not null)
            {
                Ids.Require(viewerId, "viewerId");
                http.User.EnsureActsAs(Party.Buyer, viewerId); // the viewer part reveals the viewer's city and follows
            }
            return Results.Ok(await grains.Ref<IStreamerGrain>(streamerId).GetTrustScore(viewerId));
        }).RequireAuthorization("authenticated").WithTags("Traffic");

        v1.MapGet("/streamers/{streamerId}/trust/history", async (string streamerId, int? limit, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IStreamerGrain>(Ids.Require(streamerId, "streamerId")).GetTrustHistory(RequestHelpers.Paging(0, limit ?? 50).Limit)))
            .RequireAuthorization("authenticated").WithTags("Traffic");

        v1.MapGet("/buyers/{buyerId}/feed", async (string buyerId, int? size, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return Results.Ok(await grains.Ref<IFeedGrain>("feed").Build(buyerId, size ?? 20));
        }).RequireAuthorization("authenticated").WithTags("Traffic");

        var ranking = v1.MapGroup("/admin/ranking").WithTags("Traffic").RequireAuthorization(Roles.Admin);

        ranking.MapGet("/config", async (IGrainFactory grains) => Results.Ok(await grains.Ref<IRankingConfigGrain>("default").Get()));

        // The whole configuration; its version is assigned by the server. Recorded with the top of each pool before and after.
        ranking.MapPut("/config", async (RankingConfig body, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IRankingConfigGrain>("default").Change(body, http.User.Subject())));

        ranking.MapGet("/changes", async (int? limit, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IRankingConfigGrain>("default").Changes(RequestHelpers.Paging(0, limit ?? 20).Limit)));

        ranking.MapGet("/pools/{pool}", async (string pool, int? limit, IGrainFactory grains) =>
        {
            if (!Enum.TryParse<PoolKind>(pool, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                throw DomainException.Invalid("pool", "pool is trade or content.");
            return Results.Ok(await grains.Ref<ITrafficPoolGrain>("live").Top(kind, RequestHelpers.Paging(0, limit ?? 20).Limit, null));
        });
    }
}
