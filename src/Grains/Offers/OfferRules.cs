using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Grains.Offers;

/// <summary>
/// The rules of a merchant's distribution offer (plain code, tested without a silo): which terms a merchant may publish,
/// who may sell under them, and the split plan a listing gets. The plan is derived, not chosen by the streamer: the
/// seller share goes to the product's merchant and is what the selling side's commission and the platform fee leave
/// (never below the offer's floor); the platform takes <see cref="SplitPolicy.PlatformFeeBasisPoints"/>; the streamer
/// and distributors divide the commission (all of it to the streamer unless the listing names the levels).
/// </summary>
public static class OfferRules
{
    /// <summary>Most streamers an offer can name.</summary>
    public const int MaxStreamers = 1000;

    /// <summary>Checks terms a merchant publishes; returns them with the streamer list de-duplicated and sorted.</summary>
    public static PublishOffer Validate(PublishOffer? command, SplitPolicy policy)
    {
        if (command is null) throw DomainException.Invalid("offer", "The offer's terms are required.");
        var commission = command.CommissionBasisPoints;
        var floor = command.SellerFloorBasisPoints;
        if (commission is < 0 or > SplitPlan.WholeInBasisPoints)
            throw DomainException.Invalid("commissionBasisPoints", "commissionBasisPoints must be between 0 and 10000.");
        if (floor is < 0 or > SplitPlan.WholeInBasisPoints)
            throw DomainException.Invalid("sellerFloorBasisPoints", "sellerFloorBasisPoints must be between 0 and 10000.");
        var ids = command.StreamerIds ?? [];
        if (ids.Count > MaxStreamers) throw DomainException.Invalid("streamerIds", $"An offer names at most {MaxStreamers} streamers.");
        foreach (var id in ids) Ids.Require(id, "streamerIds");
        var streamers = ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (command.OpenToAll && streamers.Count > 0)
            throw DomainException.Invalid("streamerIds", "An offer is open to all streamers or to the streamers it names, not both.");
        if (!command.OpenToAll && streamers.Count == 0)
            throw DomainException.Invalid("streamerIds", "Name at least one streamer, or open the offer to all streamers.");
        if (TermsProblem(commission, floor, policy) is { } problem) throw DomainException.Invalid("commissionBasisPoints", problem);
        return new PublishOffer(commission, floor, command.OpenToAll, streamers);
    }

    /// <summary>Why the commission and floor cannot be paid under the platform's policy, or null.</summary>
    public static string? TermsProblem(int commission, int floor, SplitPolicy policy)
    {
        var fee = policy.PlatformFeeBasisPoints;
        if (fee < policy.MinPlatformFeeBasisPoints || fee > SplitPlan.WholeInBasisPoints)
            return $"policy error: the platform fee {fee} bp is outside {policy.MinPlatformFeeBasisPoints}..{SplitPlan.WholeInBasisPoints} bp";
        var seller = SplitPlan.WholeInBasisPoints - commission - fee;
        if (seller < floor)
            return $"a commission of {commission} bp and the platform fee of {fee} bp leave the seller {seller} bp, below the offer's floor of {floor} bp";
        if (commission + fee > policy.MaxOthersShareBasisPoints)
            return $"a commission of {commission} bp and the platform fee of {fee} bp exceed the {policy.MaxOthersShareBasisPoints} bp that may go to parties other than the seller";
        return null;
    }

    public static bool IsOpenTo(bool openToAll, IReadOnlyCollection<string> streamerIds, string streamerId) =>
        openToAll || streamerIds.Contains(streamerId);

    /// <summary>
    /// The plan of a listing under the offer. <paramref name="requested"/> may name streamer and distributor shares that
    /// divide the commission exactly (the streamer share to the listing room's streamer); seller and platform shares in
    /// it must be exactly what the offer and policy give. Throws 400 for a bad request, 409 when the policy changed so
    /// that the offer's terms can no longer be paid.
    /// </summary>
    public static SplitPlan DerivePlan(int commission, int floor, SplitPolicy policy, string merchantId, string streamerId, SplitPlan? requested)
    {
        if (TermsProblem(commission, floor, policy) is { } problem)
            throw DomainException.Conflict("offer.outside_policy", $"The offer cannot be sold under the platform's current policy: {problem}.");
        var fee = policy.PlatformFeeBasisPoints;
        var seller = SplitPlan.WholeInBasisPoints - commission - fee;

        var selling = new List<SplitShare>();
        foreach (var share in requested?.Shares ?? [])
        {
            switch (share?.Role)
            {
                case null:
                    throw DomainException.Invalid("splitPlan", "splitPlan: a share is missing.");
                case PartyRole.Seller:
                    if (share.AccountId != merchantId || share.BasisPoints != seller || share.Level != 0)
                        throw DomainException.Invalid("splitPlan",
                            $"splitPlan: the seller share is set by the merchant's offer: {seller} bp to '{merchantId}'.");
                    break;
                case PartyRole.Platform:
                    if (share.AccountId != policy.PlatformAccountId || share.BasisPoints != fee || share.Level != 0)
                        throw DomainException.Invalid("splitPlan",
                            $"splitPlan: the platform share is set by the platform's policy: {fee} bp to '{policy.PlatformAccountId}'.");
                    break;
                case PartyRole.Streamer:
                    if (share.AccountId != streamerId)
                        throw DomainException.Invalid("splitPlan", $"splitPlan: the streamer share must go to this room's streamer '{streamerId}'.");
                    selling.Add(share);
                    break;
                case PartyRole.Distributor:
                    selling.Add(share);
                    break;
                default:
                    throw DomainException.Invalid("splitPlan", $"splitPlan: unknown role {share.Role}.");
            }
        }
        if (selling.Count > 0)
        {
            if (selling.Any(s => s.BasisPoints < 0)) throw DomainException.Invalid("splitPlan", "splitPlan: shares must not be negative.");
            var total = selling.Sum(s => (long)s.BasisPoints);
            if (total != commission)
                throw DomainException.Invalid("splitPlan",
                    $"splitPlan: the streamer and distributor shares add up to {total} bp; they must divide the offer's commission of {commission} bp.");
        }
        else if (commission > 0)
        {
            selling.Add(new SplitShare(PartyRole.Streamer, streamerId, commission));
        }

        // A List, not a collection expression: the plan is persisted with the shelf, and a storage serializer must be
        // able to read back the list type it wrote (a compiler-generated read-only list cannot be).
        var shares = new List<SplitShare> { new(PartyRole.Seller, merchantId, seller), new(PartyRole.Platform, policy.PlatformAccountId, fee) };
        shares.AddRange(selling);
        var plan = new SplitPlan(shares);
        policy.Validate(plan);
        return plan;
    }

    /// <summary>Whether a listing request asks for the same selling shares as a plan (no request: whatever was derived).</summary>
    public static bool SameSellingShares(SplitPlan listed, SplitPlan? requested)
    {
        if (requested?.Shares is not { Count: > 0 } shares) return true;
        static IEnumerable<SplitShare> Selling(IEnumerable<SplitShare?> s) =>
            s.OfType<SplitShare>().Where(x => x.Role is PartyRole.Streamer or PartyRole.Distributor)
                .OrderBy(x => x.Role).ThenBy(x => x.Level).ThenBy(x => x.AccountId, StringComparer.Ordinal);
        return Selling(listed.Shares).SequenceEqual(Selling(shares));
    }
}
