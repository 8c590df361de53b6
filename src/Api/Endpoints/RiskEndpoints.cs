using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Operators' risk control: rules as data (with their audit), alerts, the review queue, baselines.</summary>
public static class RiskEndpoints
{
    private const string Key = "default";

    public sealed record RuleUpdateRequest(bool? Enabled, RiskAction? Action, RiskSeverity? Severity, Dictionary<string, long>? Thresholds);
    public sealed record ReviewRequest(ReviewDecision? Decision, string? Note = null);
    public sealed record BaselineRequest(DateTimeOffset? Hour, long? Orders);

    public static void MapRiskEndpoints(this RouteGroupBuilder v1)
    {
        var risk = v1.MapGroup("/admin/risk").WithTags("Risk").RequireAuthorization(Roles.Admin);

        risk.MapGet("/rules", async Task<Ok<RiskRuleSet>> (IGrainFactory grains) => TypedResults.Ok(await grains.Ref<IRiskRulesGrain>(Key).GetRules()))
            .Declares().WithSummary("The risk rules with their thresholds, actions and the rule set's version (admins).");

        // Takes effect on the next order; recorded with who, when, old and new.
        risk.MapPut("/rules/{ruleId}", async Task<Ok<RiskRuleSet>> (string ruleId, RuleUpdateRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRiskRulesGrain>(Key).UpdateRule(Ids.Require(ruleId, "ruleId"),
                new RiskRuleUpdate(body.Enabled, body.Action, body.Severity, body.Thresholds), http.User.Subject())))
            .Declares(StatusCodes.Status400BadRequest)
            .WithSummary("Changes one rule (enabled, action, severity, thresholds) from the next order on, recorded in the rule audit (admins).");

        risk.MapGet("/rules/changes", async Task<Ok<IReadOnlyList<RiskRuleChange>>> (string? ruleId, int? limit, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRiskRulesGrain>(Key).GetChanges(ruleId, RequestHelpers.Paging(0, limit ?? 50).Limit)))
            .Declares(StatusCodes.Status400BadRequest).WithSummary("The rule audit, newest first: who changed which rule when, old and new (admins).");

        risk.MapGet("/alerts", async Task<Ok<IReadOnlyList<RiskAlert>>> (string? ruleId, string? merchantId, int? limit, IGrainFactory grains) =>
        {
            if (merchantId is not null) Ids.Require(merchantId, "merchantId");
            return TypedResults.Ok(await grains.Ref<IRiskAlertsGrain>(Key).Recent(ruleId, merchantId, RequestHelpers.Paging(0, limit ?? 50).Limit));
        }).Declares(StatusCodes.Status400BadRequest).WithSummary("Recent risk alerts, optionally of one rule or merchant (admins).");

        risk.MapGet("/alerts/counts", async Task<Ok<IReadOnlyDictionary<string, long>>> (IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IRiskAlertsGrain>(Key).CountsByRule()))
            .Declares().WithSummary("How many alerts each rule raised (admins).");

        risk.MapGet("/reviews", async Task<Ok<ReviewPage>> (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return TypedResults.Ok(await grains.Ref<IRiskReviewQueueGrain>(Key).Pending(o, l));
        }).Declares(StatusCodes.Status400BadRequest).WithSummary("One page of paid orders held for manual review (admins).");

        risk.MapGet("/reviews/decided", async Task<Ok<ReviewPage>> (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return TypedResults.Ok(await grains.Ref<IRiskReviewQueueGrain>(Key).Decided(o, l));
        }).Declares(StatusCodes.Status400BadRequest).WithSummary("One page of decided reviews with their decision (admins).");

        // Release moves the held money to escrow (pending); reject refunds it and closes the order.
        risk.MapPost("/reviews/{orderId}", async Task<Ok<OrderView>> (string orderId, ReviewRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var decision = RequestHelpers.Require(body.Decision, "decision");
            if (body.Note is not null) Text.Require(body.Note, "note", 200);
            return TypedResults.Ok(await grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId"))
                .ResolveReview(new ReviewResolution(decision, http.User.Subject(), body.Note)));
        }).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Decides a held order: release moves its money to escrow, reject refunds it and closes the order (admins).");

        // Imports historical order counts of a scope (room:, merchant:, product:) for the night-surge baseline.
        risk.MapPost("/scopes/{scope}/baseline", async Task<NoContent> (string scope, BaselineRequest body, IGrainFactory grains) =>
        {
            Ids.Require(scope, "scope");
            if (!scope.StartsWith("room:", StringComparison.Ordinal) && !scope.StartsWith("merchant:", StringComparison.Ordinal) && !scope.StartsWith("product:", StringComparison.Ordinal))
                throw DomainException.Invalid("scope", "scope is room:{id}, merchant:{id} or product:{id}.");
            await grains.Ref<IScopeCounterGrain>(scope).SeedOrders(RequestHelpers.Require(body.Hour, "hour"), RequestHelpers.Require(body.Orders, "orders"));
            return TypedResults.NoContent();
        }).Declares(StatusCodes.Status400BadRequest)
          .WithSummary("Imports a scope's historical order count for one hour, the baseline of the night-surge rule (admins).");
    }
}
