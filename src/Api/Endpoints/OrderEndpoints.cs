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
    public sealed record PlaceOrderRequest(string? RoomId, string? ProductId, int? Quantity, string? DeviceId = null, string? AddressId = null);
    public sealed record ShipRequest(string? TrackingNumber, string? Carrier);
    public sealed record RefundHttpRequest(long? Amount, string? Reason);
    /// <summary>Who earns what from an order: for its merchant, the parties in the split and admins.</summary>
    public sealed record OrderSplit(string OrderId, long PaidAmount, long RefundedAmount, bool OnHold, IReadOnlyList<SplitLineView> Split);

    public static void MapOrderEndpoints(this RouteGroupBuilder v1)
    {
        var orders = v1.MapGroup("/orders").WithTags("Orders");

        // The order id derives from the buyer and the Idempotency-Key: the same key returns the same order, never a second one.
        orders.MapPost("/", async Task<Results<Created<OrderView>, Ok<OrderView>, ProblemHttpResult>> (PlaceOrderRequest body, HttpContext http,
            IGrainFactory grains, ClientIpResolver ips) =>
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
                PlaceOutcome.Placed => TypedResults.Created($"/v1/orders/{orderId}", ForBuyer(result.Order!)),
                // The front door's own repeat of this request (its first attempt was given up) found what that attempt
                // placed: for the caller, this request created it.
                PlaceOutcome.Replayed when ClusterRetryFilter.IsRepeat(http) => TypedResults.Created($"/v1/orders/{orderId}", ForBuyer(result.Order!)),
                PlaceOutcome.Replayed => Replayed(http, result.Order!),
                PlaceOutcome.SoldOut => Problem(409, "stock.sold_out", "Sold out.", result),
                PlaceOutcome.RoomNotLive => Problem(409, "room.not_live", "The room is not live.", result),
                PlaceOutcome.NotOnShelf => Problem(409, "shelf.not_listed", "The product is not on this room's shelf.", result),
                // What Results.ValidationProblem builds, as a typed result: 400 with errors.quantity and the code.
                PlaceOutcome.OverPerOrderLimit => TypedResults.Problem(new HttpValidationProblemDetails(
                    new Dictionary<string, string[]> { ["quantity"] = [result.Message ?? "quantity is above the per-order limit."] })
                    { Extensions = { ["code"] = "order.over_per_order_limit" } }),
                PlaceOutcome.RiskRejected => Problem(422, "risk.rejected", "The order was rejected by risk control.", result),
                PlaceOutcome.OfferWithdrawn => Problem(409, "offer.withdrawn", "The merchant withdrew this product's offer.", result),
                PlaceOutcome.OpenOrderLimit => Problem(409, "order.open_orders_limit", "Too many unpaid orders.", result),
                _ => throw new InvalidOperationException($"Unexpected outcome {result.Outcome}"),
            };
        }).RequireAuthorization(Roles.Buyer).DeclaresIdempotencyKey().RetrySafe(RetrySafety.IdempotentWithKey)
            .DeclaresResponseHeader(StatusCodes.Status200OK, RequestHelpers.IdempotentReplayedHeader, "true: the key was used before; this is the order it placed.")
            .RequireRateLimiting(Quotas.PerUserOrders).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithDescription("The buyer must be registered first (PUT /v1/buyers/{buyerId} with its own id). " +
                "201 with the new order; 200 with header Idempotent-Replayed: true when this Idempotency-Key already placed it. " +
                "404 codes: buyer.not_found (the buyer has not registered), address.not_found (addressId is not in the buyer's address book). " +
                "409 codes: stock.sold_out, room.not_live, shelf.not_listed (the product is not on this room's shelf, also when no such " +
                "product exists: an order names a shelf item, not a catalogue id), offer.withdrawn, order.open_orders_limit; 422 risk.rejected " +
                "(reasons lists the rules); 400 order.over_per_order_limit names quantity. deviceId is optional.")
            .WithSummary("Places an order for a product on a live room's shelf, reserving its stock until the payment deadline (a registered buyer).");

        orders.MapGet("/{orderId}", async Task<Ok<OrderView>> (string orderId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForCaller(http.User, await Readable(http.User, grains, orderId)))).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead)
            .Declares().WithSummary("An order in its current state (its buyer, its merchant or the merchant's app with orders.read, or an admin).");

        // The split of an order: for its merchant, the parties in it and admins.
        orders.MapGet("/{orderId}/split", async Task<Ok<OrderSplit>> (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            var order = await grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId")).Get();
            http.User.EnsureCanReadSplit(order);
            return TypedResults.Ok(new OrderSplit(order.OrderId, order.PaidAmount, order.RefundedAmount, order.OnHold, order.Split));
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.OrdersRead).Declares()
          .WithSummary("The order's split: each party's share of the paid amount (the order's merchant or its app, a party in the split, or an admin).");

        orders.MapPost("/{orderId}/payments", async Task<Ok<PaymentStarted>> (string orderId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Order(grains, orderId).StartPayment(http.User.Subject()))).RequireAuthorization(Roles.Buyer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict)
            .WithSummary("Starts paying the order with the payment provider; the result arrives by the provider's callback (the order's buyer).");

        orders.MapPost("/{orderId}/cancel", async Task<Ok<OrderView>> (string orderId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForBuyer(await Order(grains, orderId).Cancel(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict).WithSummary("Cancels an unpaid order and releases its stock (the order's buyer).");

        // With a carrier code, the carrier's signed events (POST /v1/logistics/callbacks/sandbox) become the tracking history.
        orders.MapPost("/{orderId}/ship", async Task<Ok<OrderView>> (string orderId, ShipRequest? body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForCaller(http.User, await Order(grains, orderId).Ship(http.User.Subject(), body?.TrackingNumber, body?.Carrier))))
            .RequireAuthorization(Roles.Merchant).Declares(400, 409).RetrySafe()
            .AllowApps(AppScopes.OrdersFulfil)
            .WithSummary("Ships a paid order with its tracking number and carrier (the order's merchant or its app with orders.fulfil).");

        // The carrier's delivery event, relayed by the merchant's logistics integration (or an admin).
        orders.MapPost("/{orderId}/delivery", async Task<Ok<OrderView>> (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            var order = Order(grains, orderId);
            var view = await order.Get();
            http.User.EnsureActsAs(Party.Merchant, view.MerchantId);
            return TypedResults.Ok(ForCaller(http.User, await order.MarkDelivered()));
        }).RequireAuthorization("authenticated").RetrySafe().AllowApps(AppScopes.OrdersFulfil).Declares(StatusCodes.Status409Conflict)
          .WithSummary("Records that a shipped order was delivered, which starts its confirmation period (the order's merchant or its app with orders.fulfil, or an admin).");

        orders.MapPost("/{orderId}/confirm", async Task<Ok<OrderView>> (string orderId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(ForBuyer(await Order(grains, orderId).ConfirmReceipt(http.User.Subject())))).RequireAuthorization(Roles.Buyer).RetrySafe()
            .Declares(StatusCodes.Status409Conflict).WithSummary("Confirms receipt, which releases the escrowed money for settlement (the order's buyer).");

        // The merchant's or an admin's refund. A buyer's is refused (403 refund.after_sale_case_required): a buyer opens an after-sale case.
        orders.MapPost("/{orderId}/refunds", async Task<Ok<OrderView>> (string orderId, RefundHttpRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var key = http.RequireIdempotencyKey();
            var initiator = http.User.IsInRole(Roles.Buyer) ? RefundInitiator.Buyer
                : http.User.IsInRole(Roles.Merchant) ? RefundInitiator.Merchant
                : http.User.IsAdmin() ? RefundInitiator.Admin
                : throw DomainException.Forbidden("Only the buyer, the merchant or an admin can refund an order.");
            var view = await Order(grains, orderId).Refund(new RefundRequest(key, RequestHelpers.Require(body.Amount, "amount"),
                body.Reason ?? "", initiator, http.User.Subject()));
            return TypedResults.Ok(ForCaller(http.User, view));
        }).RequireAuthorization("authenticated").DeclaresIdempotencyKey().RetrySafe(RetrySafety.IdempotentWithKey)
            .AllowApps(AppScopes.AfterSaleWrite).Declares(StatusCodes.Status409Conflict)
            .WithSummary("Refunds part or all of a paid order; the same Idempotency-Key refunds once (the order's merchant or its app with aftersale.write, or an admin; a buyer opens an after-sale case).");
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

    private static Ok<OrderView> Replayed(HttpContext http, OrderView order)
    {
        http.Response.Headers[RequestHelpers.IdempotentReplayedHeader] = "true";
        return TypedResults.Ok(ForBuyer(order));
    }

    private static ProblemHttpResult Problem(int status, string code, string title, PlaceOrderResult result) =>
        TypedResults.Problem(statusCode: status, title: title, detail: result.Message,
            extensions: new Dictionary<string, object?> { ["code"] = code, ["reasons"] = result.Reasons });
}
