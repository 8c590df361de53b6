using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Orders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Api.Endpoints;

/// <summary>The JSON body of a logistics callback; <c>status</c> is the carrier's word (in_transit, out_for_delivery, delivered, exception).</summary>
public sealed record LogisticsCallback(string? EventId, string? OrderId, string? Carrier, string? TrackingNumber, string? Status,
    DateTimeOffset? OccurredAt, string? Location, string? Detail)
{
    public static LogisticsStatus? StatusOf(string? status) => status switch
    {
        "in_transit" => LogisticsStatus.InTransit,
        "out_for_delivery" => LogisticsStatus.OutForDelivery,
        "delivered" => LogisticsStatus.Delivered,
        "exception" => LogisticsStatus.Exception,
        _ => null,
    };
}

public static class LogisticsEndpoints
{
    public const string SignatureHeader = "X-Logistics-Signature";

    /// <summary>Largest callback body read (an event is a few hundred bytes).</summary>
    public const int MaxCallbackBytes = 8 * 1024;

    public static void MapLogisticsEndpoints(this RouteGroupBuilder v1)
    {
        // The carrier's event for a parcel. Anonymous but signed, checked the way the payment callback is (the same
        // scheme, CallbackSignature, in its own header): the signature header first, then a bounded read, then the MAC.
        // The event must name the order's own carrier and tracking number; repeats (same event id) change nothing.
        v1.MapPost("/logistics/callbacks/sandbox", async Task<Results<Ok<LogisticsAck>, ProblemHttpResult>> (HttpContext http, IGrainFactory grains, IOptions<SandboxCarrierOptions> carrier,
            [FromKeyedServices(DomainClock.Key)] TimeProvider clock) =>
        {
            var now = clock.GetUtcNow();
            string? signature = http.Request.Headers[SignatureHeader];
            if (!CallbackSignature.IsWellFormed(signature, now, PaymentEndpoints.SignatureTolerance))
                return TypedResults.Problem(statusCode: 401, title: "Missing, malformed or expired callback signature.");
            var body = await SignedCallbacks.ReadBoundedAsync(http, MaxCallbackBytes);
            if (body is null)
                return TypedResults.Problem(statusCode: 413, title: "Callback too large.", detail: $"A callback body is at most {MaxCallbackBytes} bytes.");
            if (!CallbackSignature.Verify(carrier.Value.CallbackSecret, signature, body, now, PaymentEndpoints.SignatureTolerance))
                return TypedResults.Problem(statusCode: 401, title: "Invalid callback signature.");

            LogisticsCallback? callback;
            try { callback = JsonSerializer.Deserialize<LogisticsCallback>(body, JsonSerializerOptions.Web); }
            catch (JsonException j) { throw DomainException.Invalid("body", $"Malformed callback: {j.Message}"); }
            if (callback is null) throw DomainException.Invalid("body", "Empty callback.");
            var e = new LogisticsEvent(
                Ids.Require(callback.EventId, "eventId"),
                Carriers.IsKnown(callback.Carrier) ? callback.Carrier! : throw DomainException.Invalid("carrier", "Unknown carrier."),
                Text.Require(callback.TrackingNumber, "trackingNumber", 64),
                LogisticsCallback.StatusOf(callback.Status) ?? throw DomainException.Invalid("status", "status must be in_transit, out_for_delivery, delivered or exception."),
                RequestHelpers.Require(callback.OccurredAt, "occurredAt"),
                Optional(callback.Location, "location"),
                Optional(callback.Detail, "detail"));
            var order = await grains.Ref<IOrderGrain>(Ids.Require(callback.OrderId, "orderId")).ApplyLogisticsEvent(e);
            return TypedResults.Ok(new LogisticsAck(true, order.Status, order.Tracking?.Count ?? 0));
        }).AllowAnonymous().WithBoundedRead(MaxCallbackBytes).WithTags("Logistics")
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(409).ProducesProblem(413)
            .WithSummary($"The carrier's tracking event for an order's parcel, signed in {SignatureHeader} like the payment callback; repeats change nothing (the carrier, by its signature).");
    }

    public sealed record LogisticsAck(bool Acknowledged, OrderStatus OrderStatus, int TrackingEvents);

    private static string? Optional(string? value, string field) => value is null ? null : Text.Require(value, field, 200);
}
