using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

public static class BuyerEndpoints
{
    public sealed record RegisterBuyerRequest(string? City, string? DisplayName);
    public sealed record OrderPage(IReadOnlyList<OrderView> Items, int Total, int Offset, int Limit);
    public sealed record RepurchaseRequest(string? RoomId, int? Quantity, long? MaxAmountPerOrder, int? PeriodDays);

    public static void MapBuyerEndpoints(this RouteGroupBuilder v1)
    {
        var buyers = v1.MapGroup("/buyers").WithTags("Buyers");

        buyers.MapPut("/{buyerId}", async Task<Ok<BuyerView>> (string buyerId, RegisterBuyerRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IBuyerGrain>(buyerId).Register(new RegisterBuyer(body.City ?? "", body.DisplayName)));
        }).RequireAuthorization(Roles.Buyer).Declares(StatusCodes.Status400BadRequest)
          .WithSummary("Registers the buyer or updates its city and display name; a buyer registers before joining a room or ordering (the buyer).");

        buyers.MapGet("/{buyerId}", async Task<Ok<BuyerView>> (string buyerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IBuyerGrain>(buyerId).Get());
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("The buyer's profile and the streamers it follows (the buyer or an admin).");

        buyers.MapPut("/{buyerId}/following/{streamerId}", async Task<Ok<BuyerView>> (string buyerId, string streamerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IBuyerGrain>(buyerId).Follow(Ids.Require(streamerId, "streamerId")));
        }).RequireAuthorization(Roles.Buyer).Declares(StatusCodes.Status409Conflict).WithSummary("Follows a streamer (the buyer).");

        buyers.MapDelete("/{buyerId}/following/{streamerId}", async Task<Ok<BuyerView>> (string buyerId, string streamerId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IBuyerGrain>(buyerId).Unfollow(Ids.Require(streamerId, "streamerId")));
        }).RequireAuthorization(Roles.Buyer).Declares().WithSummary("Stops following a streamer (the buyer).");

        // Password-free repurchase: a standing authorization to buy a product again every period, up to a cap.
        buyers.MapPut("/{buyerId}/repurchase-plans/{productId}", async Task<Ok<RepurchasePlanView>> (string buyerId, string productId, RepurchaseRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            Ids.Require(productId, "productId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            var command = new GrantRepurchase(buyerId, Ids.Require(body.RoomId, "roomId"), productId, RequestHelpers.Require(body.Quantity, "quantity"),
                RequestHelpers.Require(body.MaxAmountPerOrder, "maxAmountPerOrder"), RequestHelpers.Require(body.PeriodDays, "periodDays"));
            return TypedResults.Ok(await grains.Ref<IRepurchasePlanGrain>($"{buyerId}:{productId}").Grant(command));
        }).RequireAuthorization(Roles.Buyer).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Authorizes buying the product again every period up to a cap per order, without confirming each order (the buyer).");

        buyers.MapGet("/{buyerId}/repurchase-plans/{productId}", async Task<Ok<RepurchasePlanView>> (string buyerId, string productId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            Ids.Require(productId, "productId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IRepurchasePlanGrain>($"{buyerId}:{productId}").Get());
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("A repurchase plan: its terms, whether it is active and when its next order is due (the buyer or an admin).");

        buyers.MapDelete("/{buyerId}/repurchase-plans/{productId}", async Task<Ok<RepurchasePlanView>> (string buyerId, string productId, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            Ids.Require(productId, "productId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            return TypedResults.Ok(await grains.Ref<IRepurchasePlanGrain>($"{buyerId}:{productId}").Revoke());
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("Revokes a repurchase plan: no further orders (the buyer or an admin).");

        // A buyer's own orders, newest first, with each order's current state.
        buyers.MapGet("/{buyerId}/orders", async Task<Ok<OrderPage>> (string buyerId, int? offset, int? limit, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(buyerId, "buyerId");
            http.User.EnsureActsAs(Party.Buyer, buyerId);
            var (o, l) = RequestHelpers.Paging(offset, limit);
            var buyer = grains.Ref<IBuyerGrain>(buyerId);
            await buyer.Get(); // 404 for an unknown buyer
            var page = await buyer.ListOrders(o, l);
            var orders = await Task.WhenAll(page.Items.Select(e => grains.Ref<IOrderGrain>(e.OrderId).Get()));
            return TypedResults.Ok(new OrderPage(orders.Select(OrderEndpoints.ForBuyer).ToList(), page.Total, page.Offset, page.Limit));
        }).RequireAuthorization("authenticated").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("One page of the buyer's orders, newest first, each in its current state (the buyer or an admin).");
    }
}
