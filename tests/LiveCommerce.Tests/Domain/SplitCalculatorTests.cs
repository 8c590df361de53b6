using FsCheck;
using FsCheck.Fluent;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Tests.Domain;

public sealed class SplitCalculatorTests
{
    [Fact]
    public void Shares_round_down_and_the_seller_takes_the_remainder()
    {
        // 999 fen at 3333 bp is 332.97 → 332; at 500 bp 49.95 → 49; the seller takes 999 - 713 = 286, not its 283.
        var plan = new SplitPlan([
            new SplitShare(PartyRole.Seller, "m1", 2834), new SplitShare(PartyRole.Streamer, "s1", 3333),
            new SplitShare(PartyRole.Distributor, "d1", 3333, 1), new SplitShare(PartyRole.Platform, "platform", 500)]);
        var parts = SplitCalculator.Split(999, plan);
        Assert.Equal([286, 332, 332, 49], parts);
        Assert.Equal(999, parts.Sum());
    }

    [Fact]
    public void The_seed_three_level_rebate_splits_a_commission_pool()
    {
        // A 20% commission pool split 50/30/20 between streamer, distributor and brand rebate, platform 1%, seller the rest.
        var plan = new SplitPlan([
            new SplitShare(PartyRole.Seller, "brand", 7900), new SplitShare(PartyRole.Streamer, "s1", 1000),
            new SplitShare(PartyRole.Distributor, "d1", 600, 1), new SplitShare(PartyRole.Distributor, "d2", 400, 2),
            new SplitShare(PartyRole.Platform, "platform", 100)]);
        Assert.Equal([7900, 1000, 600, 400, 100], SplitCalculator.Split(10000, plan));
    }

    [Fact]
    public void A_refund_never_takes_from_a_party_more_than_it_holds()
    {
        // Seller 0 bp: a naive "floor for others, rest to seller" would charge the seller 1 fen here.
        var remaining = new long[] { 0, 50, 50 };
        var parts = SplitCalculator.AllocateRefund(99, remaining, preferred: 0);
        Assert.Equal(99, parts.Sum());
        Assert.All(parts.Zip(remaining), p => Assert.InRange(p.First, 0, p.Second));
    }

    [Fact]
    public void A_refund_larger_than_what_remains_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SplitCalculator.AllocateRefund(101, [50, 50], 0));

    /// <summary>Random valid plans: a seller, up to 6 distributor levels, maybe a streamer, a platform fee.</summary>
    public static Gen<SplitPlan> Plans() =>
        from levels in Gen.Choose(0, 6)
        from hasStreamer in ArbMap.Default.GeneratorFor<bool>()
        from weights in Gen.Choose(0, 3000).ArrayOf(levels + 2)
        select BuildPlan(levels, hasStreamer, weights);

    private static SplitPlan BuildPlan(int levels, bool hasStreamer, int[] weights)
    {
        var shares = new List<SplitShare> { new(PartyRole.Platform, "platform", 100 + weights[0] % 900) };
        if (hasStreamer) shares.Add(new SplitShare(PartyRole.Streamer, "s1", weights[1] % 2000));
        for (var l = 1; l <= levels; l++) shares.Add(new SplitShare(PartyRole.Distributor, $"d{l}", weights[l + 1] % 900, l));
        shares.Insert(0, new SplitShare(PartyRole.Seller, "m1", SplitPlan.WholeInBasisPoints - shares.Sum(s => s.BasisPoints)));
        return new SplitPlan(shares);
    }

    [Fact]
    public void Splits_always_add_up_to_the_amount_and_follow_the_plan() =>
        Prop.ForAll(Plans().ToArbitrary(), Gen.Choose(0, int.MaxValue).Select(i => (long)i * 3).ToArbitrary(), (plan, amount) =>
        {
            Assert.Null(new SplitPolicy().Problem(plan));
            var parts = SplitCalculator.Split(amount, plan);
            Assert.Equal(amount, parts.Sum());
            for (var i = 0; i < parts.Length; i++)
            {
                Assert.True(parts[i] >= 0);
                if (plan.Shares[i].Role == PartyRole.Seller) continue;
                // Others get exactly their basis points rounded down.
                Assert.Equal(amount * plan.Shares[i].BasisPoints / 10_000, parts[i]);
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Any_sequence_of_partial_refunds_conserves_every_fen() =>
        Prop.ForAll(Plans().ToArbitrary(), Gen.Choose(1, 5_000_000).ToArbitrary(), Gen.Choose(1, 100).ListOf().ToArbitrary(), (plan, amount, cuts) =>
        {
            var shares = SplitCalculator.Split(amount, plan);
            var refunded = new long[shares.Length];
            long totalRefunded = 0;
            foreach (var cut in cuts.Append(100))
            {
                var left = amount - totalRefunded;
                if (left == 0) break;
                var refund = Math.Max(1, left * cut / 100);
                var remaining = shares.Select((s, i) => s - refunded[i]).ToList();
                var parts = SplitCalculator.AllocateRefund(refund, remaining, preferred: 0);
                Assert.Equal(refund, parts.Sum());
                for (var i = 0; i < parts.Length; i++)
                {
                    Assert.InRange(parts[i], 0, remaining[i]);
                    refunded[i] += parts[i];
                }
                totalRefunded += refund;
                // paid = what parties still hold + what was refunded, to the fen
                Assert.Equal(amount, shares.Sum() - refunded.Sum() + totalRefunded);
            }
            Assert.Equal(amount, totalRefunded);
            Assert.Equal(shares, refunded); // a full refund takes back exactly each party's share
        }).QuickCheckThrowOnFailure();
}
