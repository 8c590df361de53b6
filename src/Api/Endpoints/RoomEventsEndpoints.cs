using Microsoft.AspNetCore.Http.HttpResults;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Api.Rooms;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// The live room pushed to viewers over Server-Sent Events: a snapshot, then one event per channel tick (its id is
/// the channel's sequence, so a reconnecting EventSource resumes with Last-Event-ID), heartbeats, and the end of the
/// stream when the room ends. Anonymous viewers may watch. Also the streamer's pin/unpin and the viewer page.
/// </summary>
public static class RoomEventsEndpoints
{
    private const string PageResource = "rooms/viewer.html";
    public sealed record PinRequest(string? ProductId);

    public static void MapRoomEventsEndpoints(this RouteGroupBuilder v1)
    {
        var rooms = v1.MapGroup("/rooms").WithTags("Rooms");

        rooms.MapGet("/{roomId}/events", async Task<Results<RoomEventStream, ProblemHttpResult>> (string roomId, long? lastEventId, HttpContext http, RoomFeeds feeds) =>
        {
            Ids.Require(roomId, "roomId");
            var resumeFrom = ResumePoint(http, lastEventId);
            var connection = feeds.Connect(roomId);
            if (connection is null)
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "This front door holds as many viewers as it may.",
                    detail: "Retry shortly; another front door may have room.");
            try
            {
                // Registered before reading, so every tick after what is read now is queued for this viewer.
                var start = resumeFrom is { } after ? await connection.Feed.CatchUpAsync(after) : new RoomChannelCatchUp(null, await connection.Feed.SnapshotAsync());
                if (start.Snapshot is { Exists: false }) throw DomainException.NotFound("room", roomId);
                return new RoomEventStream(feeds, connection, start, resumeFrom ?? 0);
            }
            catch
            {
                feeds.Disconnect(connection);
                throw;
            }
        })
        .AllowAnonymous()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .WithSummary("Live room events (SSE): 'snapshot', then 'delta' events (id = sequence), 'heartbeat'; resume with Last-Event-ID (anyone, without a token).");

        // The streamer pins the product being explained; viewers see it as a 'pinned' delta.
        rooms.MapPut("/{roomId}/pinned", async Task<Ok<RoomView>> (string roomId, PinRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId"))
                .Pin(http.User.Subject(), Ids.Require(RequestHelpers.Require(body.ProductId, "productId"), "productId"))))
            .RequireAuthorization(Roles.Streamer)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Pins the shelf product the streamer is presenting; viewers get it as a 'pinned' delta (the room's streamer).");

        rooms.MapDelete("/{roomId}/pinned", async Task<Ok<RoomView>> (string roomId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId")).Pin(http.User.Subject(), null)))
            .RequireAuthorization(Roles.Streamer)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Unpins the pinned product (the room's streamer).");

        // The streamer bars a viewer from commenting; the viewer's comments are taken off viewers' screens.
        rooms.MapPut("/{roomId}/comment-bans/{viewerId}", async Task<NoContent> (string roomId, string viewerId, HttpContext http, IGrainFactory grains) =>
        {
            await grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId")).BanCommenter(http.User.Subject(), Ids.Require(viewerId, "viewerId"));
            return TypedResults.NoContent();
        })
            .RequireAuthorization(Roles.Streamer)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Bars a viewer from commenting in the room and takes its comments off viewers' screens (the room's streamer).");

        // The room's streamer (or an admin) takes one comment down; viewers who were shown it remove it.
        rooms.MapDelete("/{roomId}/comments/{commentId}", async Task<NoContent> (string roomId, string commentId, HttpContext http, IGrainFactory grains) =>
        {
            var room = grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId"));
            Ids.Require(commentId, "commentId");
            http.User.EnsureActsAs(Party.Streamer, (await room.GetView()).StreamerId);
            await room.DeleteComment(commentId);
            return TypedResults.NoContent();
        })
            .RequireAuthorization("authenticated")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Deletes one recent comment (the room's streamer or an admin).");

        // The viewer page (static; reads the events above with EventSource, acts with the token in its fragment).
        rooms.MapGet("/{roomId}/watch", (string roomId) =>
        {
            Ids.Require(roomId, "roomId");
            using var stream = typeof(RoomEventsEndpoints).Assembly.GetManifestResourceStream(PageResource)
                ?? throw new InvalidOperationException($"Embedded resource {PageResource} is missing.");
            using var reader = new StreamReader(stream);
            return Results.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>Last-Event-ID (EventSource's automatic reconnect) or ?lastEventId= (a page reconnecting by itself).</summary>
    private static long? ResumePoint(HttpContext http, long? query)
    {
        var header = http.Request.Headers["Last-Event-ID"].ToString();
        if (header.Length == 0) return query is null or >= 0 ? query : throw DomainException.Invalid("lastEventId", "lastEventId must not be negative.");
        if (header.Length > 20 || !long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            throw DomainException.Invalid("Last-Event-ID", "Last-Event-ID must be an event id this stream sent.");
        return id;
    }
}
