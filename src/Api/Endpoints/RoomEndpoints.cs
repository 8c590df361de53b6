using System.Security.Claims;
using LiveCommerce.Api.Platform;
using System.Security.Cryptography;
using System.Text;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Endpoints;

public static class RoomEndpoints
{
    public sealed record OpenRoomRequest(string? Title, string? City);
    public sealed record ListProductRequest(long? LivePrice, int? Stock, SplitPlan? SplitPlan, int? PerOrderLimit, bool? FlashSale);
    public sealed record PriceRequest(long? LivePrice);
    public sealed record StockRequest(int? Quantity);
    public sealed record LikeRequest(int? Count);
    public sealed record CommentRequest(string? Text);
    /// <summary>A posted comment's id: what its streamer names to delete it.</summary>
    public sealed record CommentReceipt(string Id);

    public static void MapRoomEndpoints(this RouteGroupBuilder v1)
    {
        var rooms = v1.MapGroup("/rooms").WithTags("Rooms");

        // Opening a room: the room id derives from the streamer and the Idempotency-Key, so a retry opens no second room.
        rooms.MapPost("/", async (OpenRoomRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var streamerId = http.User.Subject();
            var key = http.OptionalIdempotencyKey() ?? Guid.NewGuid().ToString("N");
            var roomId = "r-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{streamerId}\n{key}")), 0, 10).ToLowerInvariant();
            var view = await grains.Ref<ILiveRoomGrain>(roomId).Open(streamerId, new OpenRoom(body.Title ?? "", body.City ?? ""));
            return Results.Created($"/v1/rooms/{roomId}", view);
        }).RequireAuthorization(Roles.Streamer).DeclaresIdempotencyKey(required: false).RetrySafe(RetrySafety.IdempotentWithKey);

        rooms.MapGet("/{roomId}", async (string roomId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(ForCaller(http.User, await Room(grains, roomId).GetView()))).RequireAuthorization("authenticated");

        rooms.MapPost("/{roomId}/start", async (string roomId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await Room(grains, roomId).StartLive(http.User.Subject()))).RequireAuthorization(Roles.Streamer).RetrySafe();

        rooms.MapPost("/{roomId}/end", async (string roomId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await Room(grains, roomId).EndLive(http.User.Subject()))).RequireAuthorization(Roles.Streamer).RetrySafe();

        // A streamer lists a product under its merchant's distribution offer; the split plan is derived from the offer
        // (splitPlan, optional, may only divide the offer's commission among the streamer and distributor levels).
        rooms.MapPut("/{roomId}/shelf/{productId}", async (string roomId, string productId, ListProductRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(productId, "productId");
            var command = new ListProduct(productId, RequestHelpers.Require(body.LivePrice, "livePrice"), RequestHelpers.Require(body.Stock, "stock"),
                body.SplitPlan, body.PerOrderLimit, body.FlashSale ?? false);
            return Results.Ok(await Room(grains, roomId).ListProduct(http.User.Subject(), command));
        }).RequireAuthorization(Roles.Streamer);

        rooms.MapPut("/{roomId}/shelf/{productId}/price", async (string roomId, string productId, PriceRequest body, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await Room(grains, roomId).ChangePrice(http.User.Subject(), Ids.Require(productId, "productId"), RequestHelpers.Require(body.LivePrice, "livePrice"))))
            .RequireAuthorization(Roles.Streamer).RetrySafe();

        rooms.MapPost("/{roomId}/shelf/{productId}/stock", async (string roomId, string productId, StockRequest body, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await Room(grains, roomId).AddStock(http.User.Subject(), Ids.Require(productId, "productId"), RequestHelpers.Require(body.Quantity, "quantity"))))
            .RequireAuthorization(Roles.Streamer);

        // Viewers act as themselves: the viewer is the token's subject.
        rooms.MapPost("/{roomId}/viewers", async (string roomId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(ForCaller(http.User, await Room(grains, roomId).Join(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe();

        rooms.MapDelete("/{roomId}/viewers/me", async (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Leave(http.User.Subject());
            return Results.NoContent();
        }).RequireAuthorization(Roles.Buyer).RetrySafe();

        rooms.MapPost("/{roomId}/likes", async (string roomId, LikeRequest? body, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Like(http.User.Subject(), body?.Count ?? 1);
            return Results.Accepted();
        }).RequireAuthorization(Roles.Buyer).RetrySafe() // a like counted twice is harmless
            .RequireRateLimiting(Quotas.PerUserInteractions).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .Produces(StatusCodes.Status202Accepted);

        rooms.MapPost("/{roomId}/comments", async (string roomId, CommentRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Accepted((string?)null, new CommentReceipt(await Room(grains, roomId).Comment(http.User.Subject(), body.Text ?? ""))))
            .RequireAuthorization(Roles.Buyer).RequireRateLimiting(Quotas.PerUserInteractions).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        rooms.MapPost("/{roomId}/shares", async (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Share(http.User.Subject());
            return Results.Accepted();
        }).RequireAuthorization(Roles.Buyer).RetrySafe(); // so is a share
    }

    /// <summary>Viewers see commenters under per-room handles; the room's streamer and admins, who moderate, see buyer ids.</summary>
    private static RoomView ForCaller(ClaimsPrincipal user, RoomView view) => user.MayModerate(view.StreamerId) ? view : CommentAuthors.ForViewers(view);

    private static ILiveRoomGrain Room(IGrainFactory grains, string roomId) =>
        grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId"));
}
