using System.Security.Claims;
using LiveCommerce.Api.Platform;
using System.Security.Cryptography;
using System.Text;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

public static class RoomEndpoints
{
    public sealed record OpenRoomRequest(string? Title, string? City);
    public sealed record ListProductRequest(long? LivePrice, int? Stock, SplitPlan? SplitPlan = null, int? PerOrderLimit = null, bool? FlashSale = null);
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
        rooms.MapPost("/", async Task<Created<RoomView>> (OpenRoomRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var streamerId = http.User.Subject();
            var key = http.OptionalIdempotencyKey() ?? Guid.NewGuid().ToString("N");
            var roomId = "r-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{streamerId}\n{key}")), 0, 10).ToLowerInvariant();
            var view = await grains.Ref<ILiveRoomGrain>(roomId).Open(streamerId, new OpenRoom(body.Title ?? "", body.City ?? ""));
            return TypedResults.Created($"/v1/rooms/{roomId}", view);
        }).RequireAuthorization(Roles.Streamer).DeclaresIdempotencyKey(required: false).RetrySafe(RetrySafety.IdempotentWithKey)
          .Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Opens a room for the streamer (title, city); the same Idempotency-Key opens it once (a registered streamer).");

        rooms.MapGet("/{roomId}", async Task<Ok<RoomView>> (string roomId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForCaller(http.User, await Room(grains, roomId).GetView()))).RequireAuthorization("authenticated")
            .Declares().WithSummary("A room: status, counters, shelf and recent comments (any signed-in caller; the streamer and admins see commenters' ids).");

        rooms.MapPost("/{roomId}/start", async Task<Ok<RoomView>> (string roomId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Room(grains, roomId).StartLive(http.User.Subject()))).RequireAuthorization(Roles.Streamer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict).WithSummary("Starts the live broadcast (the room's streamer).");

        rooms.MapPost("/{roomId}/end", async Task<Ok<RoomView>> (string roomId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Room(grains, roomId).EndLive(http.User.Subject()))).RequireAuthorization(Roles.Streamer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict).WithSummary("Ends the live broadcast; no new orders in the room (the room's streamer).");

        // A streamer lists a product under its merchant's distribution offer; the split plan is derived from the offer
        // (splitPlan, optional, may only divide the offer's commission among the streamer and distributor levels).
        rooms.MapPut("/{roomId}/shelf/{productId}", async Task<Ok<ShelfItemView>> (string roomId, string productId, ListProductRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(productId, "productId");
            var command = new ListProduct(productId, RequestHelpers.Require(body.LivePrice, "livePrice"), RequestHelpers.Require(body.Stock, "stock"),
                body.SplitPlan, body.PerOrderLimit, body.FlashSale ?? false);
            return TypedResults.Ok(await Room(grains, roomId).ListProduct(http.User.Subject(), command));
        }).RequireAuthorization(Roles.Streamer).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Lists a product on the room's shelf under its merchant's offer: live price, stock, per-order limit, flash sale (the room's streamer).");

        rooms.MapPut("/{roomId}/shelf/{productId}/price", async Task<Ok<ShelfItemView>> (string roomId, string productId, PriceRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Room(grains, roomId).ChangePrice(http.User.Subject(), Ids.Require(productId, "productId"), RequestHelpers.Require(body.LivePrice, "livePrice"))))
            .RequireAuthorization(Roles.Streamer).RetrySafe().Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Changes a shelf item's live price for new orders (the room's streamer).");

        rooms.MapPost("/{roomId}/shelf/{productId}/stock", async Task<Ok<ShelfItemView>> (string roomId, string productId, StockRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Room(grains, roomId).AddStock(http.User.Subject(), Ids.Require(productId, "productId"), RequestHelpers.Require(body.Quantity, "quantity"))))
            .RequireAuthorization(Roles.Streamer).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Adds stock to a shelf item (the room's streamer).");

        // Viewers act as themselves: the viewer is the token's subject.
        rooms.MapPost("/{roomId}/viewers", async Task<Ok<RoomView>> (string roomId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForCaller(http.User, await Room(grains, roomId).Join(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict).WithSummary("Joins the room as a viewer and answers the room (a registered buyer).")
            .WithDescription("The buyer must be registered first (PUT /v1/buyers/{buyerId} with its own id): an unregistered buyer is 404 " +
                "buyer.not_found; an unknown room is 404 room.not_found.");

        rooms.MapDelete("/{roomId}/viewers/me", async Task<NoContent> (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Leave(http.User.Subject());
            return TypedResults.NoContent();
        }).RequireAuthorization(Roles.Buyer).RetrySafe().Declares().WithSummary("Leaves the room (the viewer).");

        rooms.MapPost("/{roomId}/likes", async Task<Accepted> (string roomId, LikeRequest? body, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Like(http.User.Subject(), body?.Count ?? 1);
            return TypedResults.Accepted((string?)null);
        }).RequireAuthorization(Roles.Buyer).RetrySafe() // a like counted twice is harmless
            .RequireRateLimiting(Quotas.PerUserInteractions).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Adds likes (count, default 1) to the room; counted asynchronously, no body (a buyer).");

        rooms.MapPost("/{roomId}/comments", async Task<Accepted<CommentReceipt>> (string roomId, CommentRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Accepted((string?)null, new CommentReceipt(await Room(grains, roomId).Comment(http.User.Subject(), body.Text ?? "", http.OptionalIdempotencyKey()))))
            .RequireAuthorization(Roles.Buyer).DeclaresIdempotencyKey(required: false)
            // With a key a repeat answers the same comment: repeated across a failover only then.
            .RetrySafe(RetrySafety.IdempotentWithKey)
            .RequireRateLimiting(Quotas.PerUserInteractions).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Posts a comment to the room and answers its id (a buyer in the room, unless the streamer banned it); with an Idempotency-Key a repeat answers the same comment.");

        rooms.MapPost("/{roomId}/shares", async Task<Accepted> (string roomId, HttpContext http, IGrainFactory grains) =>
        {
            await Room(grains, roomId).Share(http.User.Subject());
            return TypedResults.Accepted((string?)null);
        }).RequireAuthorization(Roles.Buyer).RetrySafe() // so is a share
            .Declares(StatusCodes.Status409Conflict).WithSummary("Counts a share of the room; no body (a buyer).");
    }

    /// <summary>Viewers see commenters under per-room handles; the room's streamer and admins, who moderate, see buyer ids.</summary>
    private static RoomView ForCaller(ClaimsPrincipal user, RoomView view) => user.MayModerate(view.StreamerId) ? view : CommentAuthors.ForViewers(view);

    private static ILiveRoomGrain Room(IGrainFactory grains, string roomId) =>
        grains.Ref<ILiveRoomGrain>(Ids.Require(roomId, "roomId"));
}
