using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Tests.Domain;

public sealed class SplitPolicyTests
{
    private static SplitShare Seller(int bp) => new(PartyRole.Seller, "m1", bp);
    private static SplitShare Platform(int bp) => new(PartyRole.Platform, "platform", bp);
    private static SplitShare Streamer(int bp) => new(PartyRole.Streamer, "s1", bp);
    private static SplitShare Distributor(int level, int bp) => new(PartyRole.Distributor, $"d{level}", bp, level);

    public static SplitPlan SixLevelPlan() => new([
        Seller(5000), Streamer(1500), Platform(500),
        Distributor(1, 1000), Distributor(2, 800), Distributor(3, 500), Distributor(4, 300), Distributor(5, 250), Distributor(6, 150)]);

    [Fact]
    public void A_six_level_plan_that_adds_up_is_valid() => Assert.Null(new SplitPolicy().Problem(SixLevelPlan()));

    [Fact]
    public void Seven_distribution_levels_are_refused()
    {
        var plan = new SplitPlan([.. SixLevelPlan().Shares.Select(s => s.Role == PartyRole.Seller ? Seller(4900) : s), Distributor(7, 100)]);
        Assert.Contains("7 distribution levels exceed the allowed 6", new SplitPolicy().Problem(plan));
    }

    [Fact]
    public void A_provider_allowing_fewer_levels_refuses_deeper_plans()
    {
        var policy = new SplitPolicy { MaxDistributionDepth = 3 };
        Assert.Contains("exceed the allowed 3", policy.Problem(SixLevelPlan()));
        Assert.Null(policy.Problem(new SplitPlan([Seller(8500), Platform(500), Distributor(1, 500), Distributor(2, 300), Distributor(3, 200)])));
    }

    [Theory]
    [InlineData(9999)]
    [InlineData(10001)]
    public void Shares_that_do_not_add_up_to_the_whole_are_refused(int sellerBp)
    {
        var plan = new SplitPlan([Seller(sellerBp - 500), Platform(500)]);
        Assert.Contains("add up to", new SplitPolicy().Problem(plan));
    }

    [Fact]
    public void Gaps_in_distributor_levels_are_refused() =>
        Assert.Contains("without gaps", new SplitPolicy().Problem(new SplitPlan([Seller(9000), Platform(500), Distributor(2, 500)])));

    [Fact]
    public void A_plan_needs_exactly_one_seller()
    {
        Assert.Contains("exactly one seller", new SplitPolicy().Problem(new SplitPlan([Platform(10000)])));
        Assert.Contains("exactly one seller", new SplitPolicy().Problem(new SplitPlan([Seller(4750), new SplitShare(PartyRole.Seller, "m2", 4750), Platform(500)])));
    }

    [Fact]
    public void The_platform_fee_has_a_minimum() =>
        Assert.Contains("below the minimum", new SplitPolicy { MinPlatformFeeBasisPoints = 300 }.Problem(new SplitPlan([Seller(9800), Platform(200)])));

    [Fact]
    public void A_cap_on_what_others_receive_is_enforced_douyin_style()
    {
        var douyin = new SplitPolicy { MaxOthersShareBasisPoints = 3000 };
        Assert.Null(douyin.Problem(new SplitPlan([Seller(7000), Streamer(2500), Platform(500)])));
        Assert.Contains("more than the allowed 3000", douyin.Problem(new SplitPlan([Seller(6999), Streamer(2501), Platform(500)])));
    }

    [Fact]
    public void Negative_shares_and_repeated_accounts_are_refused()
    {
        Assert.Contains("negative", new SplitPolicy().Problem(new SplitPlan([Seller(9600), Platform(500), Streamer(-100)])));
        Assert.Contains("appears twice", new SplitPolicy().Problem(new SplitPlan([Seller(9000), Platform(500), new SplitShare(PartyRole.Streamer, "m1", 500)])));
    }

    [Fact]
    public void Validate_names_the_field()
    {
        var error = Assert.Throws<DomainException>(() => new SplitPolicy().Validate(new SplitPlan([Seller(100)])));
        Assert.Equal("splitPlan", error.Field);
        Assert.Equal(ErrorKind.Validation, error.Kind);
    }
}
