using FsCheck;
using FsCheck.Fluent;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Tests.Domain;

public sealed class AccountBookTests
{
    private static readonly BusinessCalendar Calendar = new(new BusinessCalendarOptions());
    private static readonly DateTimeOffset Tuesday = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static AccountBook NewBook(int cycleDays = 1) => new("m1", new AccountState { CycleDays = cycleDays }, Calendar);

    private static AccountPosting Posting(string order, PostingKind kind, long amount, int seq, DateTimeOffset? at = null) =>
        new($"{order}:m1:{seq}", order, kind, amount, at ?? Tuesday, seq, 7000);

    private static void AssertConserved(AccountBook book)
    {
        var s = book.State;
        Assert.Equal(s.TotalCredited - s.TotalReversed, s.Pending + s.OnHold + s.Available + s.PaidOut);
        Assert.Equal(s.Pending, s.Open.Values.Sum(o => o.Pending));
        Assert.Equal(s.OnHold, s.Open.Values.Sum(o => o.OnHold));
    }

    [Fact]
    public void A_confirmed_share_becomes_available_on_the_next_business_day()
    {
        var book = NewBook(cycleDays: 1);
        var ledger = new List<LedgerLine>();
        book.Apply(Posting("o1", PostingKind.CreditPending, 7000, 1), null, ledger);
        book.Apply(Posting("o1", PostingKind.Confirm, 7000, 2), null, ledger);
        Assert.Null(book.Settle(Tuesday.AddHours(12), ledger)); // 23:00 Shanghai, still Tuesday
        var batch = book.Settle(new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero), ledger); // Wednesday 00:00 Shanghai
        Assert.NotNull(batch);
        Assert.Equal(7000, batch.Total);
        Assert.Equal((0, 7000), (book.State.Pending, book.State.Available));
        Assert.Null(book.Settle(Tuesday.AddDays(2), ledger)); // running again settles nothing twice
        AssertConserved(book);
    }

    [Fact]
    public void A_retried_posting_is_applied_once()
    {
        var book = NewBook();
        var ledger = new List<LedgerLine>();
        var credit = Posting("o1", PostingKind.CreditPending, 500, 1);
        Assert.Equal(PostingEffect.Applied, book.Apply(credit, null, ledger));
        Assert.Equal(PostingEffect.Duplicate, book.Apply(credit, null, ledger));
        Assert.Equal(500, book.State.Pending);
    }

    [Fact]
    public void A_refund_after_settlement_claws_back_from_available_even_below_zero()
    {
        var book = NewBook(cycleDays: 0);
        var ledger = new List<LedgerLine>();
        book.Apply(Posting("o1", PostingKind.CreditPending, 1000, 1), null, ledger);
        book.Apply(Posting("o1", PostingKind.Confirm, 1000, 2), null, ledger);
        book.Settle(Tuesday, ledger);
        book.Payout("p1", 1000, Tuesday, ledger);
        // The share left the open map at settlement: the account asks the ledger whether it saw this posting.
        var refund = Posting("o1", PostingKind.Refund, 300, 3);
        Assert.Equal(PostingEffect.NeedsLedgerCheck, book.Apply(refund, null, ledger));
        Assert.Equal(PostingEffect.Applied, book.Apply(refund, knownToLedger: false, ledger));
        Assert.Equal(-300, book.State.Available);
        Assert.Equal(PostingEffect.Duplicate, book.Apply(refund, knownToLedger: true, ledger));
        Assert.Equal(-300, book.State.Available);
        AssertConserved(book);
    }

    [Fact]
    public void Held_money_does_not_settle_until_released()
    {
        var book = NewBook(cycleDays: 0);
        var ledger = new List<LedgerLine>();
        book.Apply(Posting("o1", PostingKind.CreditOnHold, 800, 1), null, ledger);
        book.Apply(Posting("o1", PostingKind.Confirm, 800, 2), null, ledger);
        Assert.Null(book.Settle(Tuesday.AddDays(5), ledger));
        Assert.Equal(800, book.State.OnHold);
        book.Apply(Posting("o1", PostingKind.ReleaseHold, 800, 3), null, ledger);
        Assert.Equal(800, book.Settle(Tuesday.AddDays(5), ledger)!.Total);
        AssertConserved(book);
    }

    [Fact]
    public void A_payout_cannot_exceed_available_and_is_idempotent()
    {
        var book = NewBook(cycleDays: 0);
        var ledger = new List<LedgerLine>();
        book.Apply(Posting("o1", PostingKind.CreditPending, 100, 1), null, ledger);
        book.Apply(Posting("o1", PostingKind.Confirm, 100, 2), null, ledger);
        book.Settle(Tuesday, ledger);
        Assert.Throws<DomainException>(() => book.Payout("p1", 101, Tuesday, ledger));
        var paid = book.Payout("p1", 60, Tuesday, ledger);
        // The receipt is the ledger entry that records the payout, with the balances right after it.
        Assert.Equal(new PayoutReceipt("p1", "m1", 60, "payout:m1:p1", Tuesday, 40, 60), paid);
        Assert.Equal(paid.Receipt, Assert.Single(ledger, l => l.Kind == "payout").EntryId);
        // A repeat a day later pays nothing and answers the original receipt, not the balances of the moment.
        Assert.Equal(paid with { Replayed = true }, book.Payout("p1", 60, Tuesday.AddDays(1), ledger));
        Assert.Equal((40, 60), (book.State.Available, book.State.PaidOut));
    }

    [Fact]
    public void A_payout_key_reused_for_another_amount_is_a_conflict_and_pays_nothing()
    {
        var book = NewBook(cycleDays: 0);
        var ledger = new List<LedgerLine>();
        book.Apply(Posting("o1", PostingKind.CreditPending, 1000, 1), null, ledger);
        book.Apply(Posting("o1", PostingKind.Confirm, 1000, 2), null, ledger);
        book.Settle(Tuesday, ledger);
        Assert.False(book.Payout("p1", 100, Tuesday, ledger).Replayed);
        var e = Assert.Throws<DomainException>(() => book.Payout("p1", 150, Tuesday, ledger));
        Assert.Equal((ErrorKind.Conflict, "idempotency.key_reused"), (e.Kind, e.Code));
        Assert.True(book.Payout("p1", 100, Tuesday, ledger).Replayed);
        Assert.Equal((900, 100), (book.State.Available, book.State.PaidOut));

        // The ledger store keeps the amount; records written before it did still read (without an amount).
        var stored = System.Text.Json.JsonSerializer.Serialize(book.State.RecentPayouts);
        Assert.Equal(book.State.RecentPayouts, LiveCommerce.Grains.Payments.Store.PostgresSettlementStore.ReadPayouts(stored));
        Assert.Equal(new PayoutRecord(Tuesday, null), LiveCommerce.Grains.Payments.Store.PostgresSettlementStore.ReadPayouts(
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, DateTimeOffset> { ["old"] = Tuesday }))["old"]);
    }

    [Fact]
    public void Random_sequences_of_postings_settlements_and_payouts_conserve_money() =>
        Prop.ForAll(Gen.Choose(0, 9).ArrayOf().ToArbitrary(), Gen.Choose(1, 100_000).ArrayOf().ToArbitrary(), (ops, amounts) =>
        {
            var book = NewBook(cycleDays: 1);
            var ledger = new List<LedgerLine>();
            var sequences = new Dictionary<string, int>();
            var now = Tuesday;
            for (var i = 0; i < ops.Length; i++)
            {
                var order = $"o{i % 5}";
                var amount = amounts.Length == 0 ? 100 : amounts[i % amounts.Length];
                var seq = sequences.GetValueOrDefault(order) + 1;
                var open = book.State.Open.GetValueOrDefault(order);
                AccountPosting? posting = ops[i] switch
                {
                    0 or 1 when open is null && seq == 1 => Posting(order, ops[i] == 0 ? PostingKind.CreditPending : PostingKind.CreditOnHold, amount, seq, now),
                    2 when open is { OnHold: > 0 } => Posting(order, PostingKind.ReleaseHold, open.OnHold, seq, now),
                    3 when open is not null => Posting(order, PostingKind.Confirm, 0, seq, now),
                    4 when open is not null && open.Pending + open.OnHold > 0 => Posting(order, PostingKind.Refund, Math.Min(amount, open.Pending + open.OnHold), seq, now),
                    5 when open is null && seq > 1 => Posting(order, PostingKind.Refund, amount % 500, seq, now),
                    _ => null,
                };
                if (posting is not null)
                {
                    var effect = book.Apply(posting, null, ledger);
                    if (effect == PostingEffect.NeedsLedgerCheck) book.Apply(posting, knownToLedger: false, ledger);
                    sequences[order] = seq;
                    // Redelivery of the same posting never changes anything.
                    var before = (book.State.Pending, book.State.OnHold, book.State.Available);
                    var again = book.Apply(posting, null, ledger);
                    if (again == PostingEffect.NeedsLedgerCheck) book.Apply(posting, knownToLedger: true, ledger);
                    Assert.Equal(before, (book.State.Pending, book.State.OnHold, book.State.Available));
                }
                if (ops[i] == 6) now = now.AddDays(1);
                if (ops[i] == 7) book.Settle(now, ledger);
                if (ops[i] == 8 && book.State.Available > 0) book.Payout($"p{i}", book.State.Available / 2 + 1, now, ledger);
                AssertConserved(book);
            }
        }).QuickCheckThrowOnFailure();
}
