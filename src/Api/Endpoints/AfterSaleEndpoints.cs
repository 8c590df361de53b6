using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// After-sale cases: a buyer opens one on its own order, the order's merchant answers, the buyer ships a return or
/// escalates, an admin arbitrates. Each route checks the caller against the case's parties (<see cref="Access"/>)
/// before the case grain, which checks again and refuses an illegal step with 409 and the case's current state.
/// </summary>
public static class AfterSaleEndpoints
{
    public sealed record OpenCaseRequest(AfterSaleKind? Kind, string? ReasonCode, long? Amount, string? Description = null, IReadOnlyList<string>? Evidence = null);
    public sealed record RejectRequest(string? Reason);
    public sealed record PartialRefundOfferRequest(long? Amount);
    public sealed record ReturnShipmentRequest(string? Carrier, string? TrackingNumber);
    public sealed record ArbitrationRequest(ArbitrationOutcome? Outcome, string? Note, long? Amount = null);

    public static void MapAfterSaleEndpoints(this RouteGroupBuilder v1)
    {
        // The buyer's way to its money back (the old buyer refund path answers 403 and points here).
        v1.MapPost("/orders/{orderId}/after-sales", async Task<Created<AfterSaleCaseView>> (string orderId, OpenCaseRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var key = http.RequireIdempotencyKey();
            var request = new AfterSaleRequest(http.User.Subject(), key, RequestHelpers.Require(body.Kind, "kind"),
                RequestHelpers.Require(body.ReasonCode, "reasonCode"), body.Description ?? "", body.Evidence ?? [], RequestHelpers.Require(body.Amount, "amount"));
            var opened = await grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId")).OpenAfterSale(request);
            return TypedResults.Created($"/v1/after-sales/{opened.CaseId}", opened);
        }).RequireAuthorization(Roles.Buyer).WithTags("AfterSale").DeclaresIdempotencyKey().Declares(400, 409)
          .WithSummary("Opens an after-sale case (refund only, return and refund, partial refund) on the buyer's own order; the same Idempotency-Key opens it once (the order's buyer).");

        var cases = v1.MapGroup("/after-sales/{caseId}").WithTags("AfterSale");

        cases.MapGet("/", async Task<Ok<AfterSaleCaseView>> (string caseId, HttpContext http, IGrainFactory grains) =>
        {
            var view = await Case(grains, caseId).Get();
            http.User.EnsureCanRead(view);
            return TypedResults.Ok(view);
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("An after-sale case with its state and history (the case's buyer or merchant, or an admin).");

        MapStep(cases, "/approve", Party.Merchant, (c, me, _) => c.Approve(me))
            .WithSummary("Approves the buyer's request; a return case then waits for the goods (the case's merchant).");
        MapStep<RejectRequest>(cases, "/reject", Party.Merchant, (c, me, body) => c.Reject(me, RequestHelpers.Require(body?.Reason, "reason")))
            .WithSummary("Rejects the case with a reason; the buyer may escalate (the case's merchant).");
        MapStep<PartialRefundOfferRequest>(cases, "/offer", Party.Merchant, (c, me, body) => c.OfferPartial(me, RequestHelpers.Require(body?.Amount, "amount")))
            .WithSummary("Offers a partial refund the buyer may accept (the case's merchant).");
        MapStep(cases, "/return-receipt", Party.Merchant, (c, me, _) => c.ConfirmReturn(me))
            .WithSummary("Confirms the returned goods arrived (the case's merchant).");
        MapStep(cases, "/accept-offer", Party.Buyer, (c, me, _) => c.AcceptOffer(me))
            .WithSummary("Accepts the merchant's partial refund offer (the case's buyer).");
        MapStep(cases, "/withdraw", Party.Buyer, (c, me, _) => c.Withdraw(me))
            .WithSummary("Withdraws the case (the case's buyer).");
        MapStep(cases, "/escalate", Party.Buyer, (c, me, _) => c.Escalate(me))
            .WithSummary("Asks the platform to arbitrate the case (the case's buyer).");
        MapStep<ReturnShipmentRequest>(cases, "/return-shipment", Party.Buyer, (c, me, body) =>
            c.ShipReturn(me, RequestHelpers.Require(body?.Carrier, "carrier"), RequestHelpers.Require(body?.TrackingNumber, "trackingNumber")))
            .WithSummary("Records the return parcel's carrier and tracking number (the case's buyer).");

        // The platform's decision on an escalated case: final.
        v1.MapPost("/admin/after-sales/{caseId}/arbitration", async Task<Ok<AfterSaleCaseView>> (string caseId, ArbitrationRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var decision = new Arbitration(http.User.Subject(), RequestHelpers.Require(body.Outcome, "outcome"), body.Amount, RequestHelpers.Require(body.Note, "note"));
            return TypedResults.Ok(await Case(grains, caseId).Arbitrate(decision));
        }).RequireAuthorization(Roles.Admin).WithTags("AfterSale").Declares(400, 409).RetrySafe() // the same decision again answers the case
          .WithSummary("Decides an escalated case for the buyer, the merchant or a partial amount; final (admins).");
    }

    private sealed record NoBody;

    private static RouteHandlerBuilder MapStep(RouteGroupBuilder cases, string path, Party party, Func<IAfterSaleCaseGrain, string, NoBody?, Task<AfterSaleCaseView>> step) =>
        cases.MapPost(path, async Task<Ok<AfterSaleCaseView>> (string caseId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await ActAsync(grains, http, caseId, party, (c, me) => step(c, me, null))))
            .RequireAuthorization(Access.RoleOf(party)).Declares(400, 409)
            .RetrySafe(); // a repeat of the case's last step by the same party answers the case as it is (AfterSaleCase.Repeats)

    private static RouteHandlerBuilder MapStep<TBody>(RouteGroupBuilder cases, string path, Party party, Func<IAfterSaleCaseGrain, string, TBody?, Task<AfterSaleCaseView>> step)
        where TBody : class =>
        cases.MapPost(path, async Task<Ok<AfterSaleCaseView>> (string caseId, TBody? body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await ActAsync(grains, http, caseId, party, (c, me) => step(c, me, body))))
            .RequireAuthorization(Access.RoleOf(party)).Declares(400, 409)
            .RetrySafe(); // a repeat of the case's last step by the same party answers the case as it is (AfterSaleCase.Repeats)

    /// <summary>404 for an unknown case, 403 unless the caller is the case's own buyer or merchant (as the step needs), then the step.</summary>
    private static async Task<AfterSaleCaseView> ActAsync(IGrainFactory grains, HttpContext http, string caseId, Party party,
        Func<IAfterSaleCaseGrain, string, Task<AfterSaleCaseView>> step)
    {
        var grain = Case(grains, caseId);
        var view = await grain.Get();
        http.User.EnsureIs(party, party == Party.Buyer ? view.BuyerId : view.MerchantId);
        return await step(grain, http.User.Subject());
    }

    private static IAfterSaleCaseGrain Case(IGrainFactory grains, string caseId) => grains.Ref<IAfterSaleCaseGrain>(Ids.Require(caseId, "caseId"));
}
