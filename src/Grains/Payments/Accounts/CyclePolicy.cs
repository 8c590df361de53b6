using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Payments.Accounts;

/// <summary>Which settlement cycles who may choose, and what a change leaves as it was.</summary>
public static class CyclePolicy
{
    public const int OperatorMaxCycleDays = 30;
    public const int MaxListed = 100;

    /// <summary>Why <paramref name="cycleDays"/> is refused, or null: operators choose 0..30, merchants the self-service range.</summary>
    public static string? Problem(int cycleDays, bool selfService, SettlementOptions options)
    {
        if (cycleDays is < 0 or > OperatorMaxCycleDays) return $"cycleDays must be between 0 (T+0) and {OperatorMaxCycleDays}.";
        if (selfService && (cycleDays < options.SelfServiceMinCycleDays || cycleDays > options.SelfServiceMaxCycleDays))
            return $"A merchant may choose a cycle between T+{options.SelfServiceMinCycleDays} and T+{options.SelfServiceMaxCycleDays}; ask the platform for others.";
        return null;
    }

    /// <summary>Confirmed shares not settled yet, soonest first: a cycle change keeps their dates.</summary>
    public static IReadOnlyList<ShareDate> ConfirmedUnsettled(IEnumerable<OpenShare> open) =>
        open.Where(s => s.ConfirmedAt is not null && s.SettleAt is not null && s.Pending > 0)
            .OrderBy(s => s.SettleAt).ThenBy(s => s.OrderId, StringComparer.Ordinal)
            .Select(s => new ShareDate(s.OrderId, s.Pending, s.SettleAt!.Value)).ToList();
}
