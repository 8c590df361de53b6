using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Contracts.Traffic;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Trust scores, the buyer's feed, and the operators' ranking configuration.</summary>
public static class TrafficEndpoints
{
    public static void MapTrafficEndpoints(this RouteGroupBuilder v1)
    {
        // Every score comes with its components and the counts behind them, so merchants can see why.
        v1.MapGet("/streamers/{streamerId}/trust", async Task<Ok<TrustScoreView>> (string streamerId, string? viewerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            if (viewerId is not null)
            {
                Ids.Require(viewerId, "viewerId");
                http.User.EnsureActsAs(Party.Buyer, viewerId); // the viewer part reveals the viewer's city and follows
            }
            return TypedResults.Ok(await grains.Ref<IStreamerGrain>(streamerId).GetTrustScore(viewerId));
        }).RequireAuthorization("authenticated").WithTags("Traffic").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("A streamer's trust score with its components and the counts behind them; with viewerId also the viewer's part (any signed-in caller; viewerId only the buyer itself).");

        v1.MapGet("/streamers/{streamerId}/trust/history", async Task<Ok<IReadOnlyList<TrustHistoryEntry>>> (string streamerId, int? limit, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IStreamerGrain>(Ids.Require(streamerId, "streamerId")).GetTrustHistory(RequestHelpers.Paging(0, limit ?? 50).Limit)))
            .RequireAuthorization("authenticated").WithTags("Traffic").Declares(StatusCodes.Status400BadRequest)
            .WithSummary("A streamer's trust score over time, newest first (any signed-in caller).");

        v1.MapGet("/buyers/{buyerId}/feed", async Task<Ok<FeedView>> (string buyerId, int? size, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IFeedGrain>("feed").Build(buyerId, size ?? 20));
        }).RequireAuthorization("authenticated").WithTags("Traffic").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("The buyer's feed of live rooms from the trade and content pools, ranked for it (the buyer or an admin).");

        var ranking = v1.MapGroup("/admin/ranking").WithTags("Traffic").RequireAuthorization(Roles.Admin);

        ranking.MapGet("/config", async Task<Ok<RankingConfig>> (IGrainFactory grains) => TypedResults.Ok(await grains.Ref<IRankingConfigGrain>("default").Get()))
            .Declares().WithSummary("The ranking configuration in force with its version (admins).");

        // The whole configuration; its version is assigned by the server. Recorded with the top of each pool before and after.
        ranking.MapPut("/config", async Task<Ok<RankingConfig>> (RankingConfig body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRankingConfigGrain>("default").Change(body, http.User.Subject())))
            .Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Replaces the ranking configuration; version must be the current one, the server assigns the next (admins).");

        ranking.MapGet("/changes", async Task<Ok<IReadOnlyList<RankingConfigChange>>> (int? limit, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRankingConfigGrain>("default").Changes(RequestHelpers.Paging(0, limit ?? 20).Limit)))
            .Declares(StatusCodes.Status400BadRequest)
            .WithSummary("The ranking configuration's changes, newest first, each with the top of each pool before and after (admins).");

        ranking.MapGet("/pools/{pool}", async Task<Ok<IReadOnlyList<PoolEntryView>>> (string pool, int? limit, IGrainFactory grains) =>
        {
            if (!Enum.TryParse<PoolKind>(pool, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                throw DomainException.Invalid("pool", "pool is trade or content.");
            return TypedResults.Ok(await grains.Ref<ITrafficPoolGrain>("live").Top(kind, RequestHelpers.Paging(0, limit ?? 20).Limit, null));
        }).Declares(StatusCodes.Status400BadRequest).WithSummary("The top of the trade or content pool with each room's score (admins).");
    }
}
