using LiveCommerce.Grains.Common;
using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Api.Endpoints;

public static class PaymentEndpoints
{
    /// <summary>Signed callbacks older or newer than this are refused (replay protection).</summary>
    public static readonly TimeSpan SignatureTolerance = TimeSpan.FromMinutes(5);

    public sealed record CompleteRequest(bool? Succeed, long? Amount);
    public sealed record ReconcileRequest(DateTimeOffset? From, DateTimeOffset? To);

    public static void MapPaymentEndpoints(this RouteGroupBuilder v1, bool sandboxControls)
    {
        var payments = v1.MapGroup("/payments").WithTags("Payments");

        // The provider's callback. Anonymous but signed: a bad or missing signature is 401 and changes nothing.
        // Idempotent by payment id; acknowledging with 200 stops the provider's retries.
        payments.MapPost("/callbacks/sandbox", async (HttpContext http, IGrainFactory grains, IOptions<SandboxGatewayOptions> options, [FromKeyedServices(DomainClock.Key)] TimeProvider clock) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            if (!CallbackSignature.Verify(options.Value.CallbackSecret, http.Request.Headers[CallbackSignature.Header], body, clock.GetUtcNow(), SignatureTolerance))
                return Results.Problem(statusCode: 401, title: "Invalid callback signature.");

            PaymentCallback? callback;
            try { callback = JsonSerializer.Deserialize<PaymentCallback>(body, JsonSerializerOptions.Web); }
            catch (JsonException e) { throw DomainException.Invalid("body", $"Malformed callback: {e.Message}"); }
            if (callback is null) throw DomainException.Invalid("body", "Empty callback.");
            Ids.Require(callback.PaymentId, "paymentId");
            Ids.Require(callback.OrderId, "orderId");

            // Only final results move money; a late "processing" event after the final one changes nothing.
            if (callback.Type == PaymentCallback.Processing) return Results.Ok(new { acknowledged = true, outcome = "ignored" });
            if (callback.Type is not (PaymentCallback.Succeeded or PaymentCallback.Failed))
                throw DomainException.Invalid("type", $"Unknown callback type '{callback.Type}'.");
            var applied = await grains.Ref<IOrderGrain>(callback.OrderId).ApplyPaymentResult(new PaymentResult(
                callback.PaymentId, callback.OrderId, callback.Amount, callback.Type == PaymentCallback.Succeeded, callback.OccurredAt, "callback"));
            return Results.Ok(new { acknowledged = true, outcome = applied.Outcome });
        }).AllowAnonymous();

        v1.MapGet("/admin/reconciliation", async (IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IPaymentReconciliationGrain>("sandbox").GetStatus()))
            .RequireAuthorization(Roles.Admin).WithTags("Payments");

        // Runs reconciliation now: over [from, to) when given, otherwise over everything since the last checkpoint.
        v1.MapPost("/admin/reconciliation/runs", async (ReconcileRequest? body, IGrainFactory grains) =>
        {
            var grain = grains.Ref<IPaymentReconciliationGrain>("sandbox");
            if (body?.From is null && body?.To is null) return Results.Ok(await grain.RunDue());
            var from = RequestHelpers.Require(body.From, "from");
            var to = RequestHelpers.Require(body.To, "to");
            if (to <= from) throw DomainException.Invalid("to", "to must be after from.");
            if (to - from > TimeSpan.FromDays(31)) throw DomainException.Invalid("to", "A reconciliation window is at most 31 days.");
            return Results.Ok(await grain.Reconcile(from, to));
        }).RequireAuthorization(Roles.Admin).WithTags("Payments");

        if (!sandboxControls) return;
        // The sandbox provider's "payer": completes or fails a payment by hand (when auto-completion is off).
        v1.MapPost("/sandbox/payments/{paymentId}/complete", async (string paymentId, CompleteRequest? body, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<ISandboxPaymentGrain>(Ids.Require(paymentId, "paymentId")).Complete(body?.Succeed ?? true, body?.Amount)))
            .RequireAuthorization(Roles.Admin).WithTags("Sandbox");
    }
}
