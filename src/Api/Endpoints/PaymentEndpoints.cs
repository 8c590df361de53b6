using LiveCommerce.Grains.Common;
using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Reconciliation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Api.Endpoints;

public static class PaymentEndpoints
{
    /// <summary>Signed callbacks older or newer than this are refused (replay protection).</summary>
    public static readonly TimeSpan SignatureTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Largest callback body read (a real callback is a few hundred bytes).</summary>
    public const int MaxCallbackBytes = 8 * 1024;

    /// <summary>The callback contract for gateway adapters, as the document states it (docs/ARCHITECTURE.md repeats it).</summary>
    public static readonly string CallbackContract = $$"""
        The contract for payment gateway adapters.

        **Body.** JSON, at most {{MaxCallbackBytes}} bytes: `eventId`, `type` (`{{PaymentCallback.Processing}}`, `{{PaymentCallback.Succeeded}}`
        or `{{PaymentCallback.Failed}}`), `paymentId` and `orderId` (ids: letters, digits, `-`, `_`, `:`, `.`; at most {{Ids.MaxLength}}),
        `amount` (fen; positive for a success, not negative otherwise) and `occurredAt` (ISO 8601).

        **Signature.** Header `{{CallbackSignature.Header}}: t=<unix seconds>,v1=<64 hex digits>`, where v1 is
        HMAC-SHA256 keyed with the shared callback secret (`{{SandboxGatewayOptions.Section}}:CallbackSecret`) over the UTF-8
        bytes of `t`, then `.`, then the raw body bytes exactly as sent. The MAC is compared in constant time.

        **Window.** `t` must be within {{SignatureTolerance.TotalMinutes:0}} minutes of the server's clock, before or after;
        a missing, malformed or out-of-window header is refused with 401 before the body is read; a wrong MAC is 401.

        **Replays.** A signed callback replayed within the window is harmless: results are idempotent by `paymentId`
        (the same result again answers 200 with outcome `alreadyApplied`) and a `{{PaymentCallback.Processing}}` event
        changes nothing. Outside the window a replay is 401. A verified callback is only a notification: the order
        believes it once the provider confirms the payment as one of the order's own attempts for the amount due.

        **Answers.** 200 `{"acknowledged": true, "outcome": ...}` stops the provider's retries (`ignored` for
        processing, else `applied`, `alreadyApplied`, `failed`, `refundedCancelledOrder`, `refundedDuplicate`,
        `refundedAmountMismatch`); 400 a malformed body, id, type or amount; 401 the signature; 413 a body too large;
        409 `payment.unknown_attempt`, `payment.amount_mismatch` or `payment.not_confirmed` (nothing changed; recorded
        for reconciliation); 503 the cluster or database is unavailable (retry later with the same body, re-signed
        if the window has passed).
        """;

    public sealed record CompleteRequest(bool? Succeed, long? Amount);
    public sealed record ReconcileRequest(DateTimeOffset? From, DateTimeOffset? To);

    /// <summary>
    /// The acknowledgement that stops the provider's retries. <c>outcome</c> is <c>ignored</c> for a "processing" event,
    /// otherwise what the order made of the result (<see cref="PaymentApplyOutcome"/> in camelCase, e.g. <c>applied</c>,
    /// <c>alreadyApplied</c>).
    /// </summary>
    public sealed record CallbackAck(bool Acknowledged, string Outcome)
    {
        // The name the API's enum converter writes, so the body is the one the enum itself would give.
        public static CallbackAck Of(PaymentApplyOutcome outcome) => new(true, JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString()));
    }

    public static void MapPaymentEndpoints(this RouteGroupBuilder v1, bool sandboxControls)
    {
        var payments = v1.MapGroup("/payments").WithTags("Payments");

        // The provider's callback. Anonymous but signed: a missing or malformed signature header is 401 before any of
        // the body is read; a body over MaxCallbackBytes is 413 and is not read further; a bad signature is 401.
        // A verified callback is only a notification: the order believes it once the provider confirms the payment as
        // one of the order's own attempts for the amount due. Otherwise 409 (payment.unknown_attempt,
        // payment.amount_mismatch, payment.not_confirmed), nothing changes, and it is recorded for reconciliation.
        // Idempotent by payment id; acknowledging with 200 stops the provider's retries.
        payments.MapPost("/callbacks/sandbox", async Task<Results<Ok<CallbackAck>, ProblemHttpResult>> (HttpContext http, IGrainFactory grains, IOptions<SandboxGatewayOptions> options,
            IOptions<OrderPolicy> orderPolicy, [FromKeyedServices(DomainClock.Key)] TimeProvider clock) =>
        {
            var now = clock.GetUtcNow();
            string? signature = http.Request.Headers[CallbackSignature.Header];
            if (!CallbackSignature.IsWellFormed(signature, now, SignatureTolerance))
                return TypedResults.Problem(statusCode: 401, title: "Missing, malformed or expired callback signature.");
            // Buffered, so a retry after a silo failure (ClusterRetryFilter) reads the same body again.
            http.Request.EnableBuffering(MaxCallbackBytes + 1, MaxCallbackBytes + 1);
            var body = await SignedCallbacks.ReadBoundedAsync(http, MaxCallbackBytes);
            if (body is null)
                return TypedResults.Problem(statusCode: 413, title: "Callback too large.", detail: $"A callback body is at most {MaxCallbackBytes} bytes.");
            if (!CallbackSignature.Verify(options.Value.CallbackSecret, signature, body, now, SignatureTolerance))
                return TypedResults.Problem(statusCode: 401, title: "Invalid callback signature.");

            PaymentCallback? callback;
            try { callback = JsonSerializer.Deserialize<PaymentCallback>(body, JsonSerializerOptions.Web); }
            catch (JsonException e) { throw DomainException.Invalid("body", $"Malformed callback: {e.Message}"); }
            if (callback is null) throw DomainException.Invalid("body", "Empty callback.");
            Ids.Require(callback.PaymentId, "paymentId");
            Ids.Require(callback.OrderId, "orderId");

            // Only final results move money; a late "processing" event after the final one changes nothing.
            if (callback.Type == PaymentCallback.Processing) return TypedResults.Ok(new CallbackAck(true, "ignored"));
            if (callback.Type is not (PaymentCallback.Succeeded or PaymentCallback.Failed))
                throw DomainException.Invalid("type", $"Unknown callback type '{callback.Type}'.");
            var succeeded = callback.Type == PaymentCallback.Succeeded;
            orderPolicy.Value.RequirePaymentAmount(callback.Amount, succeeded);
            var result = new PaymentResult(callback.PaymentId, callback.OrderId, callback.Amount, succeeded, callback.OccurredAt, "callback");
            var applied = await grains.Ref<IOrderGrain>(callback.OrderId).ApplyPaymentResult(result);

            var refusal = applied.Outcome switch
            {
                PaymentApplyOutcome.UnknownPayment => ("payment.unknown_attempt", "The provider does not confirm this payment as one the order opened."),
                PaymentApplyOutcome.AmountMismatch => ("payment.amount_mismatch", "The amount is not the one the provider recorded for the amount due."),
                PaymentApplyOutcome.NotConfirmed => ("payment.not_confirmed", "The provider does not confirm this result."),
                _ => default,
            };
            if (refusal.Item1 is not null || applied.Outcome == PaymentApplyOutcome.RefundedAmountMismatch)
            {
                // Recorded (persisted) before answering, so operators see every notification that moved no money.
                var reason = refusal.Item1 ?? "payment.captured_other_amount_refunded";
                await grains.Ref<IPaymentReconciliationGrain>(PaymentReconciliationGrain.GatewayKey).RecordUnmatched(new UnmatchedPayment(
                    now, "callback", callback.PaymentId, callback.OrderId, callback.Amount, succeeded, reason));
            }
            if (refusal.Item1 is { } code) throw DomainException.Conflict(code, refusal.Item2);
            return TypedResults.Ok(CallbackAck.Of(applied.Outcome));
        }).AllowAnonymous().WithBoundedRead(MaxCallbackBytes).RetrySafe()
          .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound)
          .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
          .DocumentsRawJsonBody<PaymentCallback>($"The provider's event as raw JSON bytes (at most {MaxCallbackBytes} bytes); the signature covers these exact bytes.")
          .WithDescription(CallbackContract)
          .WithSummary($"The payment provider's signed result of a payment ({CallbackSignature.Header}, within {SignatureTolerance.TotalMinutes:0} minutes); idempotent by payment id (the provider, by its signature).");

        v1.MapGet("/admin/reconciliation", async Task<Ok<ReconciliationStatus>> (IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IPaymentReconciliationGrain>(PaymentReconciliationGrain.GatewayKey).GetStatus()))
            .RequireAuthorization(Roles.Admin).WithTags("Payments").Declares()
            .WithSummary("Reconciliation with the provider: the checkpoint, what was checked and repaired, recent repairs and notifications that moved no money (admins).");

        // Runs reconciliation now: over [from, to) when given, otherwise over everything since the last checkpoint.
        v1.MapPost("/admin/reconciliation/runs", async Task<Ok<ReconciliationReport>> (ReconcileRequest? body, IGrainFactory grains) =>
        {
            var grain = grains.Ref<IPaymentReconciliationGrain>(PaymentReconciliationGrain.GatewayKey);
            if (body?.From is null && body?.To is null) return TypedResults.Ok(await grain.RunDue());
            var from = RequestHelpers.Require(body.From, "from");
            var to = RequestHelpers.Require(body.To, "to");
            if (to <= from) throw DomainException.Invalid("to", "to must be after from.");
            if (to - from > TimeSpan.FromDays(31)) throw DomainException.Invalid("to", "A reconciliation window is at most 31 days.");
            return TypedResults.Ok(await grain.Reconcile(from, to));
        }).RequireAuthorization(Roles.Admin).WithTags("Payments").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("Reconciles with the provider now, over [from, to) (at most 31 days) or everything since the last checkpoint (admins).");

        if (!sandboxControls) return;
        // The sandbox provider's "payer": completes or fails a payment by hand (when auto-completion is off).
        v1.MapPost("/sandbox/payments/{paymentId}/complete", async Task<Ok<SandboxPaymentView>> (string paymentId, CompleteRequest? body, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<ISandboxPaymentGrain>(Ids.Require(paymentId, "paymentId")).Complete(body?.Succeed ?? true, body?.Amount)))
            .RequireAuthorization(Roles.Admin).WithTags("Sandbox").Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithSummary("Completes or fails a sandbox payment by hand, as the payer would (admins; sandbox only).");
    }
}
