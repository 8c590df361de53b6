using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Reports;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Tests.Domain;

/// <summary>The regulatory export's sums (plain code) and its input rules: period, cursor, merchant identity.</summary>
public sealed class IncomeTallyTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 24, 4, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Day = new(2026, 11, 24);

    private static PaymentRecord Line(IncomeTally tally, string entry, string? order, string account, string kind, long amount, DateTimeOffset? at = null) =>
        tally.Record(new LedgerLineView(entry, account, order, kind, amount, at ?? Noon, null), Day)!;

    [Fact]
    public void Payments_refunds_and_clawbacks_are_summed_per_party_and_counted_per_order()
    {
        var tally = new IncomeTally("m1", "platform");
        // o1: 10,000 paid (seller 7,000, streamer 1,500, distributor 1,000, platform 500), 1,000 refunded before settlement.
        foreach (var (account, amount) in new[] { ("m1", 7000L), ("s1", 1500L), ("d1", 1000L), ("platform", 500L) })
            tally.Add(Line(tally, $"o1:{account}:1", "o1", account, "credit_pending", amount));
        foreach (var (account, amount) in new[] { ("m1", -700L), ("s1", -150L), ("d1", -100L), ("platform", -50L) })
            tally.Add(Line(tally, $"o1:{account}:2", "o1", account, "refund", amount, Noon.AddHours(1)));
        tally.Add(Line(tally, "b1:o1", "o1", "m1", "settle", 6300, Noon.AddHours(2)));
        tally.Add(Line(tally, "b2:o1", "o1", "platform", "settle", 450, Noon.AddHours(2)));
        // o2: paid on hold, then clawed back in part after settlement (two refunds, at two instants).
        tally.Add(Line(tally, "o2:m1:1", "o2", "m1", "credit_on_hold", 900));
        tally.Add(Line(tally, "o2:platform:1", "o2", "platform", "credit_on_hold", 100));
        tally.Add(Line(tally, "o2:m1:3", "o2", "m1", "clawback", -90, Noon.AddHours(3)));
        tally.Add(Line(tally, "o2:platform:3", "o2", "platform", "clawback", -10, Noon.AddHours(3)));
        tally.Add(Line(tally, "o2:m1:4", "o2", "m1", "clawback", -9, Noon.AddHours(4)));
        // The merchant's payout, and a platform payout line that is not the merchant's money.
        tally.Add(Line(tally, "payout:m1:p1", null, "m1", "payout", -5000, Noon.AddHours(5)));

        var t = tally.Totals();
        Assert.Equal(11_000, t.GrossSales);
        Assert.Equal(1_000 + 100 + 9, t.Refunds);
        Assert.Equal(t.GrossSales - t.Refunds, t.NetSales);
        Assert.Equal(7000 - 700 + 900 - 90 - 9, t.MerchantIncome);
        Assert.Equal(500 - 50 + 100 - 10, t.PlatformFees);
        Assert.Equal(1500 - 150 + 1000 - 100, t.Commissions);
        Assert.Equal(t.NetSales, t.MerchantIncome + t.PlatformFees + t.Commissions);
        Assert.Equal((6300L, 5000L), (t.Settled, t.PaidOut)); // the merchant's own settlement and payout only
        Assert.Equal((2, 2, 3), (t.OrderCount, t.PaymentCount, t.RefundCount));
    }

    [Theory]
    [InlineData("confirm")]
    [InlineData("release_hold")]
    [InlineData("anomaly:Confirm")]
    [InlineData("cycle:T+1->T+0:admin")]
    public void Lines_that_move_no_money_between_parties_are_not_records(string kind) =>
        Assert.Null(new IncomeTally("m1", "platform").Record(new LedgerLineView("e", "m1", "o1", kind, 0, Noon, null), Day));

    [Fact]
    public void A_total_that_would_overflow_throws_instead_of_wrapping()
    {
        var tally = new IncomeTally("m1", "platform");
        tally.Add(Line(tally, "o1:m1:1", "o1", "m1", "credit_pending", long.MaxValue));
        Assert.Throws<OverflowException>(() => tally.Add(Line(tally, "o2:m1:1", "o2", "m1", "credit_pending", 1)));
    }

    [Fact]
    public void A_line_with_the_wrong_sign_for_its_kind_is_refused()
    {
        var tally = new IncomeTally("m1", "platform");
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Add(Line(tally, "e1", "o1", "m1", "credit_pending", -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Add(Line(tally, "e2", "o1", "m1", "refund", 1)));
    }

    /// <summary>Random orders split and partly refunded by the real split arithmetic: the tally's figures equal the orders' own, to the fen.</summary>
    [Fact]
    public void Random_orders_balance_to_the_fen()
    {
        var random = new Random(20261127);
        for (var run = 0; run < 200; run++)
        {
            var tally = new IncomeTally("m1", "platform");
            var plan = new SplitPlan([
                new SplitShare(PartyRole.Seller, "m1", 0), new SplitShare(PartyRole.Streamer, "s1", random.Next(0, 3000)),
                new SplitShare(PartyRole.Distributor, "d1", random.Next(0, 2000), 1), new SplitShare(PartyRole.Platform, "platform", random.Next(1, 1000))]);
            plan = new SplitPlan([plan.Shares[0] with { BasisPoints = 10_000 - plan.Shares.Skip(1).Sum(s => s.BasisPoints) }, .. plan.Shares.Skip(1)]);
            long paid = 0, refunded = 0, seller = 0, platform = 0;
            var orders = random.Next(1, 6);
            for (var o = 0; o < orders; o++)
            {
                var amount = random.NextInt64(1, 10_000_000);
                var parts = SplitCalculator.Split(amount, plan);
                var order = $"o{o}";
                for (var i = 0; i < parts.Length; i++)
                    if (parts[i] > 0) tally.Add(Line(tally, $"{order}:{plan.Shares[i].AccountId}:1", order, plan.Shares[i].AccountId, "credit_pending", parts[i]));
                var remaining = parts.ToArray();
                var refund = random.NextInt64(0, amount + 1);
                var back = SplitCalculator.AllocateRefund(refund, remaining, 0);
                for (var i = 0; i < back.Length; i++)
                    if (back[i] > 0) tally.Add(Line(tally, $"{order}:{plan.Shares[i].AccountId}:2", order, plan.Shares[i].AccountId, "refund", -back[i], Noon.AddHours(1)));
                paid += amount;
                refunded += refund;
                seller += parts[0] - back[0];
                platform += parts[3] - back[3];
            }
            var t = tally.Totals();
            Assert.Equal((paid, refunded, paid - refunded), (t.GrossSales, t.Refunds, t.NetSales));
            Assert.Equal((seller, platform), (t.MerchantIncome, t.PlatformFees));
            Assert.Equal(t.NetSales, t.MerchantIncome + t.PlatformFees + t.Commissions);
            Assert.Equal(orders, t.PaymentCount);
        }
    }

    [Theory]
    [InlineData("2026-01-01", "2026-12-31", true)]  // 365 days
    [InlineData("2028-01-01", "2028-12-31", true)]  // 366 days (leap year)
    [InlineData("2026-01-01", "2027-01-02", false)] // 367 days
    [InlineData("2026-11-25", "2026-11-24", false)] // to before from
    public void A_period_is_whole_days_and_at_most_366_of_them(string from, string to, bool valid)
    {
        var check = () => ReportPeriod.Validate(DateOnly.Parse(from), DateOnly.Parse(to));
        if (valid) check();
        else Assert.Equal("to", Assert.Throws<DomainException>(check).Field);
    }

    [Fact]
    public void Cursors_round_trip_and_a_tampered_cursor_is_a_400()
    {
        PaymentRecordCursor[] cursors =
        [
            new(false, "o-1", null, null), new(false, "o-1", Noon, "o-1:m1:2"), new(true, null, null, null), new(true, null, Noon, "payout:m1:p1"),
        ];
        foreach (var cursor in cursors) Assert.Equal(cursor, PaymentRecordCursor.Decode(cursor.Encode()));
        Assert.Null(PaymentRecordCursor.Decode(null));
        foreach (var bad in new[] { "not base64 !", Convert.ToBase64String("x\ny"u8.ToArray()), new PaymentRecordCursor(true, "o-1", null, null).Encode(),
                     new PaymentRecordCursor(false, null, null, null).Encode(), new PaymentRecordCursor(false, "o-1", Noon, null).Encode() })
            Assert.Equal("cursor", Assert.Throws<DomainException>(() => PaymentRecordCursor.Decode(bad)).Field);
    }

    [Theory]
    [InlineData("91330100799655058B")]
    [InlineData("91350100M000100Y43")]
    [InlineData("91110108551385082Q")]
    [InlineData(" 914403001922038216 ")]
    [InlineData("91330100799655058b")] // lower case is accepted and stored upper case
    public void Real_unified_social_credit_codes_are_accepted(string code)
    {
        var valid = MerchantIdentityRules.Validate(new MerchantIdentity(" Hangzhou Example Trading Co., Ltd. ", code, null));
        Assert.Equal(code.Trim().ToUpperInvariant(), valid.UnifiedSocialCreditCode);
        Assert.Equal("Hangzhou Example Trading Co., Ltd.", valid.LegalName);
    }

    [Theory]
    [InlineData("Example Co.", "91330100799655058C", "unifiedSocialCreditCode")] // wrong check character
    [InlineData("Example Co.", "9133010079965505I8", "unifiedSocialCreditCode")] // I is not in the code alphabet
    [InlineData("Example Co.", "9133010079965505", "unifiedSocialCreditCode")]   // too short
    [InlineData("", "91330100799655058B", "legalName")]
    [InlineData("Example\u0007Co.", "91330100799655058B", "legalName")]
    public void Bad_identities_are_refused_naming_the_field(string name, string code, string field) =>
        Assert.Equal(field, Assert.Throws<DomainException>(() => MerchantIdentityRules.Validate(new MerchantIdentity(name, code, null))).Field);

    [Fact]
    public void Identity_fields_are_bounded()
    {
        Assert.Equal("legalName", Assert.Throws<DomainException>(() =>
            MerchantIdentityRules.Validate(new MerchantIdentity(new string('x', 101), "91330100799655058B", null))).Field);
        Assert.Equal("registeredAddress", Assert.Throws<DomainException>(() =>
            MerchantIdentityRules.Validate(new MerchantIdentity("Example Co.", "91330100799655058B", new string('x', 201)))).Field);
    }
}
