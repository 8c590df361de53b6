using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Grains.Payments.Splits;

/// <summary>
/// Limits on split plans (<c>LiveCommerce:Splits</c>), checked when a plan is set so that a bad plan is refused
/// before any money moves. Some payment providers allow fewer distribution levels, and some platforms cap what
/// may go to parties other than the seller (Douyin: 30%).
/// </summary>
public sealed class SplitPolicy
{
    public const string Section = "LiveCommerce:Splits";

    /// <summary>Deepest distributor level allowed (1..6).</summary>
    public int MaxDistributionDepth { get; set; } = 6;

    /// <summary>Most that may go to parties other than the seller, in basis points (10,000 = 100%).</summary>
    public int MaxOthersShareBasisPoints { get; set; } = SplitPlan.WholeInBasisPoints;

    /// <summary>Smallest platform fee, in basis points.</summary>
    public int MinPlatformFeeBasisPoints { get; set; } = 100;

    /// <summary>
    /// The platform fee of a plan derived from a merchant's distribution offer, in basis points (at least
    /// <see cref="MinPlatformFeeBasisPoints"/>): the seller keeps what the selling side's commission and this fee leave.
    /// </summary>
    public int PlatformFeeBasisPoints { get; set; } = 500;

    /// <summary>The platform's settlement account, which must receive the platform share.</summary>
    public string PlatformAccountId { get; set; } = "platform";

    /// <summary>Throws a validation <see cref="DomainException"/> naming the first rule the plan breaks.</summary>
    public void Validate(SplitPlan? plan, string field = "splitPlan")
    {
        var problem = Problem(plan);
        if (problem is not null) throw DomainException.Invalid(field, $"{field}: {problem}");
    }

    public string? Problem(SplitPlan? plan)
    {
        if (plan?.Shares is not { Count: > 0 } shares) return "a plan needs at least a seller share";
        if (MaxDistributionDepth is < 0 or > 6) return "policy error: MaxDistributionDepth must be 0..6";

        long total = 0;
        var distributorLevels = new List<int>();
        int sellers = 0, streamers = 0, platforms = 0;
        var accounts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var share in shares)
        {
            if (share is null) return "a share is missing";
            if (Ids.Problem(share.AccountId) is { } idProblem) return $"accountId {idProblem}";
            if (share.BasisPoints < 0) return "shares must not be negative";
            if (share.BasisPoints > SplitPlan.WholeInBasisPoints) return "a share cannot exceed 10000 basis points";
            // One share per account: an account holds one share per order, so a party in two roles is one share.
            if (!accounts.Add(share.AccountId)) return $"account {share.AccountId} appears twice";
            total += share.BasisPoints;
            switch (share.Role)
            {
                case PartyRole.Seller: sellers++; break;
                case PartyRole.Streamer: streamers++; break;
                case PartyRole.Platform:
                    platforms++;
                    if (share.AccountId != PlatformAccountId) return $"the platform share must go to account '{PlatformAccountId}'";
                    break;
                case PartyRole.Distributor: distributorLevels.Add(share.Level); break;
                default: return $"unknown role {share.Role}";
            }
            if (share.Role != PartyRole.Distributor && share.Level != 0) return "only distributor shares have a level";
        }

        if (sellers != 1) return "a plan has exactly one seller share";
        if (streamers > 1) return "a plan has at most one streamer share";
        if (platforms > 1) return "a plan has at most one platform share";
        if (total != SplitPlan.WholeInBasisPoints) return $"shares add up to {total} basis points, not {SplitPlan.WholeInBasisPoints}";

        distributorLevels.Sort();
        if (distributorLevels.Count > MaxDistributionDepth)
            return $"{distributorLevels.Count} distribution levels exceed the allowed {MaxDistributionDepth}";
        for (var i = 0; i < distributorLevels.Count; i++)
            if (distributorLevels[i] != i + 1) return "distributor levels must be 1, 2, ... without gaps or repeats";

        var platformShare = shares.Where(s => s.Role == PartyRole.Platform).Sum(s => s.BasisPoints);
        if (platformShare < MinPlatformFeeBasisPoints)
            return $"the platform fee {platformShare} bp is below the minimum {MinPlatformFeeBasisPoints} bp";
        var others = shares.Where(s => s.Role != PartyRole.Seller).Sum(s => s.BasisPoints);
        if (others > MaxOthersShareBasisPoints)
            return $"parties other than the seller get {others} bp, more than the allowed {MaxOthersShareBasisPoints} bp";
        return null;
    }
}
