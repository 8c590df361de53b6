using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Operators' risk control: rules as data (with their audit), alerts, the review queue, baselines.</summary>
public static class RiskEndpoints
{
    private const string Key = "default";

    public sealed record RuleUpdateRequest(bool? Enabled, RiskAction? Action, RiskSeverity? Severity, Dictionary<string, long>? Thresholds);
    public sealed record ReviewRequest(ReviewDecision? Decision, string? Note);
    public sealed record BaselineRequest(DateTimeOffset? Hour, long? Orders);

    public static void MapRiskEndpoints(this RouteGroupBuilder v1)
    {
        var risk = v1.MapGroup("/admin/risk").WithTags("Risk").RequireAuthorization(Roles.Admin);

        risk.MapGet("/rules", async (IGrainFactory grains) => Results.Ok(await grains.Ref<IRiskRulesGrain>(Key).GetRules()));

        // Takes effect on the next order; recorded with who, when, old and new.
        risk.MapPut("/rules/{ruleId}", async (string ruleId, RuleUpdateRequest body, HttpContext http, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IRiskRulesGrain>(Key).UpdateRule(Ids.Require(ruleId, "ruleId"),
                new RiskRuleUpdate(body.Enabled, body.Action, body.Severity, body.Thresholds), http.User.Subject())));

        risk.MapGet("/rules/changes", async (string? ruleId, int? limit, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IRiskRulesGrain>(Key).GetChanges(ruleId, RequestHelpers.Paging(0, limit ?? 50).Limit)));

        risk.MapGet("/alerts", async (string? ruleId, string? merchantId, int? limit, IGrainFactory grains) =>
        {
            if (merchantId is not null) Ids.Require(merchantId, "merchantId");
            return Results.Ok(await grains.Ref<IRiskAlertsGrain>(Key).Recent(ruleId, merchantId, RequestHelpers.Paging(0, limit ?? 50).Limit));
        });

        risk.MapGet("/alerts/counts", async (IGrainFactory grains) => Results.Ok(await grains.Ref<IRiskAlertsGrain>(Key).CountsByRule()));

        risk.MapGet("/reviews", async (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return Results.Ok(await grains.Ref<IRiskReviewQueueGrain>(Key).Pending(o, l));
        });

        risk.MapGet("/reviews/decided", async (int? offset, int? limit, IGrainFactory grains) =>
        {
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return Results.Ok(await grains.Ref<IRiskReviewQueueGrain>(Key).Decided(o, l));
        });

        // Release moves the held money to escrow (pending); reject refunds it and closes the order.
        risk.MapPost("/reviews/{orderId}", async (string orderId, ReviewRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var decision = RequestHelpers.Require(body.Decision, "decision");
            if (body.Note is not null) Text.Require(body.Note, "note", 200);
            return Results.Ok(await grains.Ref<IOrderGrain>(Ids.Require(orderId, "orderId"))
                .ResolveReview(new ReviewResolution(decision, http.User.Subject(), body.Note)));
        });

        // Imports historical order counts of a scope (room:, merchant:, product:) for the night-surge baseline.
        risk.MapPost("/scopes/{scope}/baseline", async (string scope, BaselineRequest body, IGrainFactory grains) =>
        {
            Ids.Require(scope, "scope");
            if (!scope.StartsWith("room:", StringComparison.Ordinal) && !scope.StartsWith("merchant:", StringComparison.Ordinal) && !scope.StartsWith("product:", StringComparison.Ordinal))
                throw DomainException.Invalid("scope", "scope is room:{id}, merchant:{id} or product:{id}.");
            await grains.Ref<IScopeCounterGrain>(scope).SeedOrders(RequestHelpers.Require(body.Hour, "hour"), RequestHelpers.Require(body.Orders, "orders"));
            return Results.NoContent();
        });
    }
}
