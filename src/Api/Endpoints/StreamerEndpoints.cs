using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Endpoints;

public static class StreamerEndpoints
{
    public sealed record CreateStreamerRequest(string? DisplayName, string? HomeCity);

    public static void MapStreamerEndpoints(this RouteGroupBuilder v1)
    {
        var streamers = v1.MapGroup("/streamers").WithTags("Streamers");

        // A streamer creates its own profile; repeating the same request returns the same profile.
        streamers.MapPut("/{streamerId}", async (string streamerId, CreateStreamerRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            http.User.EnsureActsAs(Party.Streamer, streamerId);
            var profile = await grains.Ref<IStreamerGrain>(streamerId)
                .CreateProfile(new CreateStreamerProfile(body.DisplayName ?? "", body.HomeCity ?? ""));
            return Results.Ok(profile);
        }).RequireAuthorization(Roles.Streamer);

        streamers.MapGet("/{streamerId}", async (string streamerId, IGrainFactory grains) =>
        {
            Ids.Require(streamerId, "streamerId");
            return Results.Ok(await grains.Ref<IStreamerGrain>(streamerId).GetProfile());
        }).RequireAuthorization("authenticated");
    }
}
