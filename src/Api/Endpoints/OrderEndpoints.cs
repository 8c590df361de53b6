using System.Security.Claims;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Api.Platform;

namespace LiveCommerce.Api.Endpoints;

public static class OrderEndpoints
{
    public sealed record PlaceOrderRequest(string? RoomId, string? ProductId, int? Quantity, string? DeviceId, string? AddressId = null);
    public sealed record ShipRequest(string? TrackingNumber, string? Carrier);
    public sealed record RefundHttpRequest(long? Amount, string? Reason);

    public static void MapOrderEndpoints(this RouteGroupBuilder v1)
    {
        var orders = v1.MapGroup("/orders").WithTags("Orders");

        // The order id derives from the buyer and the Idempotency-Key: the same key returns the same order, never a second one.
        orders.MapPost("/", async (PlaceOrderRequest body, HttpContext http, IGrainFactory grains, ClientIpResolver ips) =>
        {
            var buyerId = http.User.Subject();
            var key = http.RequireIdempotencyKey();
            var roomId = Ids.Require(body.RoomId, "roomId");
            var productId = Ids.Require(body.ProductId, "productId");
            var quantity = RequestHelpers.Require(body.Quantity, "quantity");
            if (body.DeviceId is not null) Ids.Require(body.DeviceId, "deviceId");
            var orderId = OrderIds.FromIdempotencyKey(buyerId, key);
            // A named address is resolved here; without one the order ships to the buyer's default (the order grain reads it).
            var address = body.AddressId is null ? null : await grains.Ref<IAddressBookGrain>(buyerId).Resolve(Ids.Require(body.AddressId, "addressId"));

            var result = await grains.Ref<IOrderGrain>(orderId)
                .Place(new PlaceOrder(buyerId, roomId, productId, quantity, key, ips.Resolve(http), body.DeviceId, ShippingAddress: address));
            return result.Outcome switch
            {
                PlaceOutcome.Placed => Results.Created($"/v1/orders/{orderId}", ForBuyer(result.Order!)),
                // The front door's own repeat of this request (its first attempt was given up) found what that attempt
                // placed: for the caller, this request created it.
                PlaceOutcome.Replayed when ClusterRetryFilter.IsRepeat(http) => Results.Created($"/v1/orders/{orderId}", ForBuyer(result.Order!)),
                PlaceOutcome.Replayed => Replayed(http, result.Order!),
                PlaceOutcome.SoldOut => Problem(409, "stock.sold_out", "Sold out.", result),
                PlaceOutcome.RoomNotLive => Problem(409, "room.not_live", "The room is not live.", result),
                PlaceOutcome.NotOnShelf => Problem(409, "shelf.not_listed", "The product is not on this room's shelf.", result),
                PlaceOutcome.OverPerOrderLimit => Results.ValidationProblem(
                    new Dictionary<string, string[]> { ["quantity"] = [result.Message ?? "quantity is above the per-order limit."] },
                    extensions: new Dictionary<string, object?> { ["code"] = "order.over_per_order_limit" }),
                PlaceOutcome.RiskRejected => Problem(422, "risk.rejected", "The order was rejected by risk control.", result),
                PlaceOutcome.OfferWithdrawn => Problem(409, "offer.withdrawn", "The merchant withdrew this product's offer.", result),
                PlaceOutcome.OpenOrderLimit => Problem(409, "order.open_orders_limit", "Too many unpaid orders.", result),
                _ => throw new InvalidOperationException($"Unexpected outcome {result.Outcome}"),
            };
        }).RequireAuthorization(Roles.Buyer).DeclaresIdempotencyKey().RetrySafe(RetrySafety.IdempotentWithKey)
            .RequireRateLimiting(Quotas.PerUserOrders).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .Produces<OrderView>(StatusCodes.Status201Created).Produces<OrderView>(StatusCodes.Status200OK);

        orders.MapGet("/{orderId}", async (string orderId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(ForCaller(http.User, await Readable(http.User, grains, orderId)))).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead);

        // The split of an order: for its merchant, the parties in it and admins.
        orders.MapGet("/{orderId}/split", async (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            var order = await grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId")).Get();
            http.User.EnsureCanReadSplit(order);
            return Results.Ok(new { order.OrderId, order.PaidAmount, order.RefundedAmount, order.OnHold, order.Split });
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead);

        orders.MapPost("/{orderId}/payments", async (string orderId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await Order(grains, orderId).StartPayment(http.User.Subject()))).RequireAuthorization(Roles.Buyer).RetrySafe();

        orders.MapPost("/{orderId}/cancel", async (string orderId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(ForBuyer(await Order(grains, orderId).Cancel(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe();

        // With a carrier code, the carrier's signed events (POST /v1/logistics/callbacks/sandbox) become the tracking history.
        orders.MapPost("/{orderId}/ship", async Task<Ok<OrderView>> (string orderId, ShipRequest? body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForCaller(http.User, await Order(grains, orderId).Ship(http.User.Subject(), body?.TrackingNumber, body?.Carrier))))
            .RequireAuthorization(Roles.Merchant).Declares(400, 409).RetrySafe()
            .AllowApps(AppScopes.OrdersFulfil);

        // The carrier's delivery event, relayed by the merchant's logistics integration (or an admin).
        orders.MapPost("/{orderId}/delivery", async (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            var order = Order(grains, orderId);
            var view = await order.Get();
            http.User.EnsureActsAs(Party.Merchant, view.MerchantId);
            return Results.Ok(ForCaller(http.User, await order.MarkDelivered()));
        }).RequireAuthorization("authenticated").RetrySafe().AllowApps(AppScopes.OrdersFulfil);

        orders.MapPost("/{orderId}/confirm", async (string orderId, HttpContext http, IGrainFactory grains) =>
            Results.Ok(ForBuyer(await Order(grains, orderId).ConfirmReceipt(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe();

        // The merchant's or an admin's refund. A buyer's is refused (403 refund.after_sale_case_required): a buyer opens an after-sale case.
        orders.MapPost("/{orderId}/refunds", async (string orderId, RefundHttpRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var key = http.RequireIdempotencyKey();
            var initiator = http.User.IsInRole(Roles.Buyer) ? RefundInitiator.Buyer
                : http.User.IsInRole(Roles.Merchant) ? RefundInitiator.Merchant
                : http.User.IsAdmin() ? RefundInitiator.Admin
                : throw DomainException.Forbidden("Only the buyer, the merchant or an admin can refund an order.");
            var view = await Order(grains, orderId).Refund(new RefundRequest(key, RequestHelpers.Require(body.Amount, "amount"),
                body.Reason ?? "", initiator, http.User.Subject()));
            return Results.Ok(ForCaller(http.User, view));
        }).RequireAuthorization("authenticated").DeclaresIdempotencyKey().RetrySafe(RetrySafety.IdempotentWithKey)
            .AllowApps(AppScopes.AfterSaleWrite);
    }

    /// <summary>
    /// The address the order snapshots: the one named, else the buyer's default. Only when there is none is the product
    /// read, to let virtual goods (category <c>virtual</c>) go without one.
    /// </summary>
    private static IOrderGrain Order(IGrainFactory grains, string orderId) => grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId"));

    /// <summary>A buyer reads only its own orders, a merchant only orders of its products; admins read any.</summary>
    private static async Task<OrderView> Readable(ClaimsPrincipal user, IGrainFactory grains, string orderId)
    {
        var order = await Order(grains, orderId).Get();
        user.EnsureCanRead(order);
        return order;
    }

    /// <summary>The split (who earns what) is the merchant's business, not the buyer's.</summary>
    public static OrderView ForBuyer(OrderView order) => order with { Split = [] };

    /// <summary>Buyers see their own full address; a merchant sees the full phone only on an order it must ship.</summary>
    private static OrderView ForCaller(ClaimsPrincipal user, OrderView order) =>
        user.IsAdmin() ? order : user.IsInRole(Roles.Buyer) ? ForBuyer(order) : AddressVisibility.ForMerchant(order);

    private static IResult Replayed(HttpContext http, OrderView order)
    {
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Results.Ok(ForBuyer(order));
    }

    private static IResult Problem(int status, string code, string title, PlaceOrderResult result) =>
        Results.Problem(statusCode: status, title: title, detail: result.Message,
            extensions: new Dictionary<string, object?> { ["code"] = code, ["reasons"] = result.Reasons });
}
