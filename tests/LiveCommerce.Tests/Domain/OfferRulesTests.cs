using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Offers;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Tests.Domain;

/// <summary>The offer's rules without a silo: what a merchant may publish and the plan a listing gets.</summary>
public sealed class OfferRulesTests
{
    private static readonly SplitPolicy Policy = new(); // platform fee 500 bp, minimum 100 bp, 6 levels, no cap on others

    private static SplitPlan Derive(int commission, int floor, SplitPlan? requested = null, SplitPolicy? policy = null) =>
        OfferRules.DerivePlan(commission, floor, policy ?? Policy, "m1", "s1", requested);

    private static int Bp(SplitPlan plan, PartyRole role) => plan.Shares.Where(s => s.Role == role).Sum(s => s.BasisPoints);

    [Fact]
    public void Without_requested_shares_the_streamer_takes_the_whole_commission_and_the_seller_the_rest()
    {
        var plan = Derive(2000, 7000);
        Assert.Equal((7500, 2000, 500), (Bp(plan, PartyRole.Seller), Bp(plan, PartyRole.Streamer), Bp(plan, PartyRole.Platform)));
        Assert.Equal("m1", plan.Shares.Single(s => s.Role == PartyRole.Seller).AccountId);
        Assert.Equal("s1", plan.Shares.Single(s => s.Role == PartyRole.Streamer).AccountId);
        Assert.Null(Policy.Problem(plan));
    }

    [Fact]
    public void Requested_levels_divide_the_commission_exactly()
    {
        var plan = Derive(3000, 6000, new SplitPlan([new(PartyRole.Streamer, "s1", 1800), new(PartyRole.Distributor, "d1", 800, 1), new(PartyRole.Distributor, "d2", 400, 2)]));
        Assert.Equal((6500, 1800, 1200), (Bp(plan, PartyRole.Seller), Bp(plan, PartyRole.Streamer), Bp(plan, PartyRole.Distributor)));

        var more = Assert.Throws<DomainException>(() => Derive(3000, 6000, new SplitPlan([new(PartyRole.Streamer, "s1", 3100)])));
        Assert.Equal("splitPlan", more.Field);
        Assert.Contains("commission of 3000 bp", more.Message);
        Assert.Throws<DomainException>(() => Derive(3000, 6000, new SplitPlan([new(PartyRole.Streamer, "s1", 2900)])));
    }

    [Fact]
    public void The_streamer_cannot_choose_the_seller_or_platform_share_nor_pay_another_streamer()
    {
        // The attack of issue 13: seller 0 bp, streamer 9,900 bp, platform 100 bp.
        var attack = new SplitPlan([new(PartyRole.Seller, "m1", 0), new(PartyRole.Streamer, "s1", 9900), new(PartyRole.Platform, "platform", 100)]);
        var error = Assert.Throws<DomainException>(() => Derive(2000, 7000, attack));
        Assert.Contains("seller share is set by the merchant's offer", error.Message);

        var cheapPlatform = new SplitPlan([new(PartyRole.Seller, "m1", 7500), new(PartyRole.Streamer, "s1", 2100), new(PartyRole.Platform, "platform", 400)]);
        Assert.Contains("platform share", Assert.Throws<DomainException>(() => Derive(2000, 7000, cheapPlatform)).Message);

        var otherStreamer = new SplitPlan([new(PartyRole.Streamer, "s2", 2000)]);
        Assert.Contains("this room's streamer", Assert.Throws<DomainException>(() => Derive(2000, 7000, otherStreamer)).Message);

        // The same plan as the offer gives, seller and platform included, is accepted.
        var matching = new SplitPlan([new(PartyRole.Seller, "m1", 7500), new(PartyRole.Streamer, "s1", 2000), new(PartyRole.Platform, "platform", 500)]);
        Assert.Equal(7500, Bp(Derive(2000, 7000, matching), PartyRole.Seller));
    }

    [Fact]
    public void Distribution_depth_and_duplicate_accounts_follow_the_split_policy()
    {
        var deep = new SplitPlan([new(PartyRole.Streamer, "s1", 600), .. Enumerable.Range(1, 4).Select(l => new SplitShare(PartyRole.Distributor, $"d{l}", 100, l))]);
        Assert.Contains("exceed the allowed 3", Assert.Throws<DomainException>(() => Derive(1000, 8000, deep, new SplitPolicy { MaxDistributionDepth = 3 })).Message);
        var twice = new SplitPlan([new(PartyRole.Streamer, "s1", 500), new(PartyRole.Distributor, "m1", 500, 1)]);
        Assert.Contains("appears twice", Assert.Throws<DomainException>(() => Derive(1000, 8000, twice)).Message);
    }

    [Theory]
    [InlineData(2000, 7500, true)]   // 10000 - 2000 - 500 = 7500: exactly the floor
    [InlineData(2001, 7500, false)]  // one bp more commission leaves the seller below its floor
    [InlineData(9500, 0, true)]
    [InlineData(9501, 0, false)]     // commission and fee above the whole
    public void The_seller_keeps_at_least_its_floor(int commission, int floor, bool valid)
    {
        var command = new PublishOffer(commission, floor, true, []);
        if (valid)
        {
            OfferRules.Validate(command, Policy);
            Assert.True(Bp(Derive(commission, floor), PartyRole.Seller) >= floor);
        }
        else
        {
            Assert.Equal("commissionBasisPoints", Assert.Throws<DomainException>(() => OfferRules.Validate(command, Policy)).Field);
        }
    }

    [Fact]
    public void A_policy_change_that_breaks_a_published_offer_refuses_new_listings()
    {
        var higherFee = new SplitPolicy { PlatformFeeBasisPoints = 1000 };
        var error = Assert.Throws<DomainException>(() => Derive(2000, 7500, policy: higherFee));
        Assert.Equal((ErrorKind.Conflict, "offer.outside_policy"), (error.Kind, error.Code));
        var douyin = new SplitPolicy { MaxOthersShareBasisPoints = 3000 };
        Assert.Contains("3000 bp", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(2600, 0, true, []), douyin)).Message);
    }

    [Fact]
    public void Audience_is_all_or_a_list_of_valid_ids()
    {
        var listed = OfferRules.Validate(new PublishOffer(1000, 0, false, ["s2", "s1", "s2"]), Policy);
        Assert.Equal(["s1", "s2"], listed.StreamerIds);
        Assert.True(OfferRules.IsOpenTo(false, listed.StreamerIds.ToList(), "s1"));
        Assert.False(OfferRules.IsOpenTo(false, listed.StreamerIds.ToList(), "s3"));
        Assert.True(OfferRules.IsOpenTo(true, [], "anyone"));
        Assert.Equal("streamerIds", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(1000, 0, false, []), Policy)).Field);
        Assert.Equal("streamerIds", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(1000, 0, true, ["s1"]), Policy)).Field);
        Assert.Equal("streamerIds", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(1000, 0, false, ["bad id"]), Policy)).Field);
        Assert.Equal("commissionBasisPoints", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(-1, 0, true, []), Policy)).Field);
        Assert.Equal("sellerFloorBasisPoints", Assert.Throws<DomainException>(() => OfferRules.Validate(new PublishOffer(0, 10001, true, []), Policy)).Field);
    }
}
