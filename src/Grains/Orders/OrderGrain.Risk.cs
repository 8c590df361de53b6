using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Risk;

namespace LiveCommerce.Grains.Orders;

/// <summary>Risk control: facts are gathered from the counter grains in parallel, the pure engine decides.</summary>
public sealed partial class OrderGrain
{
    private const string RiskKey = "default";

    private sealed record PlacementRisk(RiskAssessment Assessment, BuyerAttempt Buyer, RoomQuote Quote);

    /// <summary>Placement stage: counts the attempt in every counter, then decides, before any stock is touched.</summary>
    private async Task<PlacementRisk> AssessPlacementAsync(PlaceOrder command, DateTimeOffset now)
    {
        var rulesTask = GrainFactory.Ref<IRiskRulesGrain>(RiskKey).GetRules();
        var buyerTask = GrainFactory.Ref<IBuyerGrain>(command.BuyerId).RecordOrderAttempt(now);
        var quoteTask = GrainFactory.Ref<ILiveRoomGrain>(command.RoomId).Quote(command.ProductId);
        var rules = await rulesTask;

        Task<SourceActivity>? ipTask = null, deviceTask = null;
        if (IsKnownIp(command.ClientIp) && (rules.IsEnabled(RiskRuleCatalog.IpBurst) || rules.IsEnabled(RiskRuleCatalog.IpManyBuyers)))
            ipTask = GrainFactory.Ref<ISourceCounterGrain>(SourceCounters.KeyFor("ip", command.ClientIp))
                .RecordAttempt(command.ClientIp, command.BuyerId, now, Window(rules, RiskRuleCatalog.IpManyBuyers));
        if (command.DeviceId is { } device && rules.IsEnabled(RiskRuleCatalog.DeviceManyBuyers))
            deviceTask = GrainFactory.Ref<ISourceCounterGrain>(SourceCounters.KeyFor("device", device))
                .RecordAttempt(device, command.BuyerId, now, Window(rules, RiskRuleCatalog.DeviceManyBuyers));

        var buyer = await buyerTask ?? throw DomainException.NotFound("buyer", command.BuyerId);
        var quote = await quoteTask;
        var scopes = quote.OnShelf ? await ScopeActivityAsync(rules, command.RoomId, quote.MerchantId!, command.ProductId, now, recordOrder: true, RiskStages.Placement) : [];
        var facts = new RiskFacts
        {
            Ip = ipTask is null ? null : await ipTask,
            Device = deviceTask is null ? null : await deviceTask,
            BuyerOrdersInLastMinute = buyer.OrdersInLastMinute,
            FlashSale = quote.OnShelf && quote.FlashSale,
            BuyerRegisteredAt = buyer.Buyer.RegisteredAt,
            BuyerPreviousOrders = buyer.Buyer.PaidOrderCount,
            Amount = quote.LivePrice * command.Quantity,
            UnitPrice = quote.LivePrice,
            HistoricalAveragePrice = quote.ReferencePrice,
            LocalHour = calendar.HourOf(now),
            At = now,
            Scopes = scopes,
        };
        return new PlacementRisk(RiskEngine.Evaluate(rules, facts, RiskStages.Placement), buyer, quote);
    }

    /// <summary>Payment stage: the rules that can change their mind between placement and payment.</summary>
    private async Task<RiskAssessment> AssessPaymentAsync(DateTimeOffset now, long paidAmount)
    {
        var rules = await GrainFactory.Ref<IRiskRulesGrain>(RiskKey).GetRules();
        if (!rules.Rules.Any(r => r.Enabled && (r.Stages & RiskStages.Payment) != 0)) return RiskAssessment.Allowed with { RulesVersion = rules.Version };
        var facts = new RiskFacts
        {
            BuyerRegisteredAt = S.BuyerRegisteredAt,
            BuyerPreviousOrders = S.BuyerPreviousOrders,
            Amount = paidAmount,
            UnitPrice = S.UnitPrice,
            HistoricalAveragePrice = S.ReferencePrice,
            LocalHour = calendar.HourOf(now),
            At = now,
            Scopes = await ScopeActivityAsync(rules, S.RoomId, S.MerchantId, S.ProductId, now, recordOrder: false, RiskStages.Payment),
        };
        return RiskEngine.Evaluate(rules, facts, RiskStages.Payment);
    }

    private async Task<IReadOnlyList<ScopeActivity>> ScopeActivityAsync(RiskRuleSet rules, string roomId, string merchantId, string productId,
        DateTimeOffset now, bool recordOrder, RiskStages stage)
    {
        var night = rules.Find(RiskRuleCatalog.NightSurge);
        var inNight = night is { Enabled: true } && (night.Stages & stage) != 0 && RiskEngine.InNightWindow(night, calendar.HourOf(now));
        var refunds = rules.Find(RiskRuleCatalog.RefundSpike) is { Enabled: true } spike && (spike.Stages & stage) != 0;
        if (!inNight && !refunds) return [];
        // Night orders are counted per room, merchant and product; refund spikes are watched per room and merchant.
        var scopes = inNight ? new[] { "room:" + roomId, "merchant:" + merchantId, "product:" + productId } : ["room:" + roomId, "merchant:" + merchantId];
        return await Task.WhenAll(scopes.Select(scope => scopeCounts.RecordOrder(scope, now, recordOrder && inNight)));
    }

    private static TimeSpan Window(RiskRuleSet rules, string ruleId) =>
        TimeSpan.FromMinutes(rules.Find(ruleId)?.Thresholds.GetValueOrDefault("windowMinutes", 10) ?? 10);

    private static bool IsKnownIp(string ip) => ip.Length > 0 && System.Net.IPAddress.TryParse(ip, out var address) && !address.Equals(System.Net.IPAddress.None);

    private static RiskDecisionView Decision(RiskAssessment assessment, string stage, DateTimeOffset at) =>
        new(assessment.Verdict, assessment.Hits.Select(h => $"{h.RuleId}: {h.Reason}").ToList(), stage, at);

    /// <summary>Tells risk operators about a decision that tripped rules (best effort: it is information, not money).</summary>
    private async Task ReportAsync(RiskAssessment assessment, string stage, string? orderId, string roomId, string? merchantId, string productId,
        string buyerId, string clientIp, DateTimeOffset at)
    {
        if (assessment.Hits.Count == 0) return;
        var alert = new RiskAlert($"{stage}:{OrderId}:{at.ToUnixTimeMilliseconds()}", at, "order", assessment.Verdict, assessment.Hits,
            orderId, merchantId, roomId, productId, buyerId, clientIp, stage);
        try
        {
            await GrainFactory.Ref<IRiskAlertsGrain>(RiskKey).Record(alert);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record risk alert for order {OrderId}", OrderId);
        }
    }
}
