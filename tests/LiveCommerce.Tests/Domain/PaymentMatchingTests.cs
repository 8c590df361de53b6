using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Analytics;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Tests.Domain;

/// <summary>The order's rules for believing a payment result, and money arithmetic that refuses to wrap.</summary>
public sealed class PaymentMatchingTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static GatewayPayment Provider(string reference, string orderId = "o-1", long amount = 5000, long captured = 5000,
        GatewayPaymentStatus status = GatewayPaymentStatus.Succeeded) =>
        new("pay-" + reference, reference, orderId, amount, captured, status, At, At, 0);

    private static PaymentResult Claim(string paymentId, long amount = 5000, bool succeeded = true) => new(paymentId, "o-1", amount, succeeded, At, "test");

    [Theory]
    [InlineData("o-1-1", 0, true)]
    [InlineData("o-1-2", 1, true)]
    [InlineData("o-1-3", 1, false)]  // more than one attempt ahead of what the order recorded
    [InlineData("o-1-0", 5, false)]
    [InlineData("o-1-01", 5, false)]
    [InlineData("o-1-", 5, false)]
    [InlineData("o-1", 5, false)]
    [InlineData("o-12-1", 5, false)] // another order whose id starts the same
    [InlineData("o-1-1x", 5, false)]
    [InlineData("fake", 5, false)]
    public void Only_the_orders_own_references_are_its_attempts(string reference, int recorded, bool own) =>
        Assert.Equal(own, PaymentMatching.IsOwnReference(reference, "o-1", recorded));

    [Fact]
    public void A_result_is_believed_only_as_the_provider_records_it()
    {
        Assert.Equal(PaymentMatch.Matches, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1"), Provider("o-1-1")));
        Assert.Equal(PaymentMatch.UnknownAttempt, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1"), null));
        Assert.Equal(PaymentMatch.UnknownAttempt, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-2-1"), Provider("o-2-1", orderId: "o-2")));
        Assert.Equal(PaymentMatch.UnknownAttempt, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-x"), Provider("x")));
        Assert.Equal(PaymentMatch.NotConfirmed, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1"), Provider("o-1-1", captured: 0, status: GatewayPaymentStatus.Processing)));
        Assert.Equal(PaymentMatch.NotConfirmed, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1"), Provider("o-1-1", captured: 0, status: GatewayPaymentStatus.Failed)));
        Assert.Equal(PaymentMatch.NotConfirmed, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1", 0, succeeded: false), Provider("o-1-1")));
        Assert.Equal(PaymentMatch.AmountMismatch, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1", 3000), Provider("o-1-1")));
        Assert.Equal(PaymentMatch.AmountMismatch, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1", 3000), Provider("o-1-1", amount: 3000, captured: 3000)));
        Assert.Equal(PaymentMatch.CapturedOtherAmount, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1", 4000), Provider("o-1-1", captured: 4000)));
        Assert.Equal(PaymentMatch.Matches, PaymentMatching.Check("o-1", 5000, 0, Claim("pay-o-1-1", 0, succeeded: false), Provider("o-1-1", captured: 0, status: GatewayPaymentStatus.Failed)));
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, true)]
    [InlineData(-1, false)]
    [InlineData(long.MaxValue, true)]
    public void A_payment_amount_out_of_range_is_invalid(long amount, bool succeeded)
    {
        var e = Assert.Throws<DomainException>(() => new OrderPolicy().RequirePaymentAmount(amount, succeeded));
        Assert.Equal((ErrorKind.Validation, "amount"), (e.Kind, e.Field));
    }

    [Fact]
    public void An_account_credit_that_would_overflow_throws_and_changes_nothing()
    {
        var state = new AccountState { Pending = long.MaxValue - 10, TotalCredited = long.MaxValue - 10, Exists = true };
        var book = new AccountBook("m1", state, new BusinessCalendar(new BusinessCalendarOptions()));
        var ledger = new List<LedgerLine>();
        Assert.Throws<OverflowException>(() => book.Apply(new AccountPosting("o2:m1:1", "o2", PostingKind.CreditPending, 11, At, 1, 7000), null, ledger));
        Assert.Equal((long.MaxValue - 10, 0, 0), (state.Pending, state.Open.Count, ledger.Count));
    }

    [Fact]
    public void Split_and_analytics_sums_throw_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => SplitCalculator.AllocateRefund(1, [long.MaxValue, 1], 0));
        var funnel = new Funnel { Gmv = long.MaxValue - 1, Paid = 3 };
        var paid = new OrderEvent(OrderEventKind.Paid, "o", "b", null, "r", null, "s", "m", "p", null, 1, 2, 2, 2, 0, At, At, false);
        Assert.Throws<OverflowException>(() => funnel.Apply(paid));
        Assert.Equal((long.MaxValue - 1, 3L), (funnel.Gmv, funnel.Paid));
    }
}
