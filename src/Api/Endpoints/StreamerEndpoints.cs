using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

public static class StreamerEndpoints
{
    public sealed record CreateStreamerRequest(string? DisplayName, string? HomeCity);

    public static void MapStreamerEndpoints(this RouteGroupBuilder v1)
    {
        var streamers = v1.MapGroup("/streamers").WithTags("Streamers");

        // A streamer creates its own profile; repeating the same request returns the same profile.
        streamers.MapPut("/{streamerId}", async Task<Ok<StreamerProfile>> (string streamerId, CreateStreamerRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            http.User.EnsureActsAs(Party.Streamer, streamerId);
            var profile = await grains.Ref<IStreamerGrain>(streamerId)
                .CreateProfile(new CreateStreamerProfile(body.DisplayName ?? "", body.HomeCity ?? ""));
            return TypedResults.Ok(profile);
        }).RequireAuthorization(Roles.Streamer).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Creates the streamer's profile (display name, home city), which it needs before opening rooms; the same request again answers the same profile (the streamer).");

        streamers.MapGet("/{streamerId}", async Task<Ok<StreamerProfile>> (string streamerId, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            return TypedResults.Ok(await grains.Ref<IStreamerGrain>(streamerId).GetProfile());
        }).RequireAuthorization("authenticated").Declares().WithSummary("A streamer's public profile (any signed-in caller).");
    }
}
