using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Risk;

public enum RiskAction { Review = 0, Reject = 1 }

public enum RiskSeverity { Low = 0, Medium = 1, High = 2 }

/// <summary>When a rule is evaluated.</summary>
[Flags]
public enum RiskStages { None = 0, Placement = 1, Payment = 2, Both = Placement | Payment }

/// <summary>A rule as data: operators switch it, tune its thresholds and choose its action at runtime.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskRule(
    [property: Id(0)] string RuleId,
    [property: Id(1)] bool Enabled,
    [property: Id(2)] RiskAction Action,
    [property: Id(3)] RiskSeverity Severity,
    [property: Id(4)] IReadOnlyDictionary<string, long> Thresholds,
    [property: Id(5)] RiskStages Stages,
    [property: Id(6)] string Description)
{
    public long Threshold(string name) =>
        Thresholds.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"rule {RuleId} has no threshold '{name}'");
}

[GenerateSerializer, Immutable]
public sealed record RiskRuleSet([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<RiskRule> Rules)
{
    public RiskRule? Find(string ruleId) => Rules.FirstOrDefault(r => r.RuleId == ruleId);
    public bool IsEnabled(string ruleId) => Find(ruleId)?.Enabled == true;
    public bool AnyEnabled => Rules.Any(r => r.Enabled);
}

/// <summary>A change an operator asks for; fields left null stay as they are.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskRuleUpdate(
    [property: Id(0)] bool? Enabled,
    [property: Id(1)] RiskAction? Action,
    [property: Id(2)] RiskSeverity? Severity,
    [property: Id(3)] IReadOnlyDictionary<string, long>? Thresholds);

/// <summary>Audit of a rule change: who, when, old and new.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskRuleChange(
    [property: Id(0)] long Version,
    [property: Id(1)] string RuleId,
    [property: Id(2)] string ChangedBy,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] RiskRule Old,
    [property: Id(5)] RiskRule New);

/// <summary>One rule that tripped, with the numbers that tripped it.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskHit(
    [property: Id(0)] string RuleId,
    [property: Id(1)] RiskAction Action,
    [property: Id(2)] RiskSeverity Severity,
    [property: Id(3)] string Reason);

[GenerateSerializer, Immutable]
public sealed record RiskAssessment(
    [property: Id(0)] RiskVerdict Verdict,
    [property: Id(1)] IReadOnlyList<RiskHit> Hits,
    [property: Id(2)] long RulesVersion)
{
    public static readonly RiskAssessment Allowed = new(RiskVerdict.Allow, [], 0);
}

/// <summary>A risk event kept for operators: a rule tripped on an order or a price, or a review was decided.</summary>
[GenerateSerializer, Immutable]
public sealed record RiskAlert(
    [property: Id(0)] string AlertId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Kind,
    [property: Id(3)] RiskVerdict Verdict,
    [property: Id(4)] IReadOnlyList<RiskHit> Hits,
    [property: Id(5)] string? OrderId,
    [property: Id(6)] string? MerchantId,
    [property: Id(7)] string? RoomId,
    [property: Id(8)] string? ProductId,
    [property: Id(9)] string? BuyerId,
    [property: Id(10)] string? ClientIp,
    [property: Id(11)] string Stage);

/// <summary>An order whose money is held until an admin decides.</summary>
[GenerateSerializer, Immutable]
public sealed record ReviewItem(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] long Amount,
    [property: Id(4)] IReadOnlyList<string> Reasons,
    [property: Id(5)] DateTimeOffset HeldAt,
    [property: Id(6)] ReviewDecision? Decision,
    [property: Id(7)] string? DecidedBy,
    [property: Id(8)] DateTimeOffset? DecidedAt);

[GenerateSerializer, Immutable]
public sealed record ReviewPage(
    [property: Id(0)] IReadOnlyList<ReviewItem> Items,
    [property: Id(1)] int Total);

/// <summary>Orders seen from one client IP or device in the rule windows, counting the current attempt.</summary>
[GenerateSerializer, Immutable]
public sealed record SourceActivity(
    [property: Id(0)] int OrdersInLastMinute,
    [property: Id(1)] int DistinctBuyersInWindow);

/// <summary>A scope's (room, merchant, product) orders in the current night hour, and its baseline for that hour.</summary>
[GenerateSerializer, Immutable]
public sealed record ScopeActivity(
    [property: Id(0)] string Scope,
    [property: Id(1)] long OrdersThisHour,
    [property: Id(2)] long BaselineOrdersTimes7,
    [property: Id(3)] long PaidLast24Hours,
    [property: Id(4)] long RefundedLast24Hours);
