using System.Text.Json;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Grains.Platform.Webhooks;
using LiveCommerce.Grains.Traffic;

namespace LiveCommerce.Tests.Domain;

/// <summary>
/// The settlement, payout and ranking webhook events as plain code: what they carry, their per-resource sequence and
/// the event id derived from it, and that a settlement save logs each event once however often it is repeated.
/// </summary>
public sealed class PlatformWebhookRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static JsonElement Data(WebhookEvent e) => JsonDocument.Parse(e.Payload).RootElement;

    /// <summary>A T+0 account with two confirmed orders, one of them partly refunded before settlement.</summary>
    private static (AccountState State, AccountBook Book, List<LedgerLine> Lines) Account()
    {
        var state = new AccountState { Exists = true, CycleDays = 0 };
        var book = new AccountBook("m1", state, new BusinessCalendar(new BusinessCalendarOptions { WeekendsAreBusinessDays = true }));
        var lines = new List<LedgerLine>();
        book.Apply(new AccountPosting("o1:m1:1", "o1", PostingKind.CreditPending, 6000, T0, 1, 6000), null, lines);
        book.Apply(new AccountPosting("o2:m1:1", "o2", PostingKind.CreditPending, 4000, T0, 1, 4000), null, lines);
        book.Apply(new AccountPosting("o2:m1:2", "o2", PostingKind.Refund, 1000, T0, 2, 4000), null, lines);
        book.Apply(new AccountPosting("o1:m1:3", "o1", PostingKind.Confirm, 0, T0, 3, 6000), null, lines);
        book.Apply(new AccountPosting("o2:m1:3", "o2", PostingKind.Confirm, 0, T0, 3, 4000), null, lines);
        return (state, book, lines);
    }

    [Fact]
    public void A_settlement_batch_event_carries_the_batch_totals_and_the_accounts_batch_number_as_its_sequence()
    {
        var (state, book, lines) = Account();
        var batch = book.Settle(T0.AddDays(1), lines)!;

        var e = SettlementWebhooks.BatchPaid(batch, state.CycleDays, state.BatchSequence);
        Assert.Equal(("settlements:m1:1:settlement.batch_paid", "m1", WebhookEventTypes.SettlementBatchPaid, "settlements:m1", 1L, T0.AddDays(1)),
            (e.EventId, e.MerchantId, e.Type, e.ResourceId, e.ResourceSeq, e.OccurredAt));
        var data = Data(e);
        Assert.Equal((batch.BatchId, 2, 10000L, 1000L, 9000L, 0), (data.GetProperty("batchId").GetString(), data.GetProperty("orders").GetInt32(),
            data.GetProperty("gross").GetInt64(), data.GetProperty("refundedBeforeSettlement").GetInt64(), data.GetProperty("net").GetInt64(),
            data.GetProperty("cycleDays").GetInt32()));
        Assert.Equal(batch.BusinessDate, DateOnly.Parse(data.GetProperty("businessDate").GetString()!));

        // The next batch of the account is its next sequence.
        book.Apply(new AccountPosting("o3:m1:1", "o3", PostingKind.CreditPending, 500, T0.AddDays(2), 1, 10000), null, lines);
        book.Apply(new AccountPosting("o3:m1:2", "o3", PostingKind.Confirm, 0, T0.AddDays(2), 2, 10000), null, lines);
        var second = SettlementWebhooks.BatchPaid(book.Settle(T0.AddDays(3), lines)!, state.CycleDays, state.BatchSequence);
        Assert.Equal(("settlements:m1:2:settlement.batch_paid", 2L, 500L), (second.EventId, second.ResourceSeq, Data(second).GetProperty("net").GetInt64()));
    }

    [Fact]
    public void A_payout_event_is_sequenced_by_the_paid_out_total_and_names_its_ledger_entry_as_the_receipt()
    {
        var (state, book, lines) = Account();
        book.Settle(T0.AddDays(1), lines);
        var at = T0.AddDays(2);
        Assert.False(book.Payout("po-1", 2000, at, lines).Replayed);
        var first = SettlementWebhooks.PayoutPaid("m1", "po-1", 2000, state, at);
        Assert.False(book.Payout("po-2", 500, at, lines).Replayed);
        var second = SettlementWebhooks.PayoutPaid("m1", "po-2", 500, state, at);

        Assert.Equal(("payouts:m1:2000:payout.paid", "payouts:m1", 2000L), (first.EventId, first.ResourceId, first.ResourceSeq));
        Assert.Equal(("payouts:m1:2500:payout.paid", 2500L), (second.EventId, second.ResourceSeq));
        var data = Data(first);
        var receipt = data.GetProperty("receipt").GetString();
        Assert.Equal(("po-1", 2000L, 7000L, "CNY", "fen"), (data.GetProperty("payoutId").GetString(), data.GetProperty("amount").GetInt64(),
            data.GetProperty("availableAfter").GetInt64(), data.GetProperty("currency").GetString(), data.GetProperty("unit").GetString()));
        Assert.Contains(lines, l => l.EntryId == receipt && l.Kind == "payout" && l.Amount == -2000);
    }

    [Fact]
    public void A_ranking_change_names_exactly_the_settings_that_moved_and_is_logged_under_the_platform()
    {
        var old = RankingConfig.Default;
        // Every setting, moved alone, is named alone (a setting the event forgot would name nothing).
        foreach (var property in typeof(RankingConfig).GetProperties().Where(p => p.PropertyType == typeof(int)))
        {
            var moved = old with { };
            property.SetValue(moved, (int)property.GetValue(old)! + 1);
            Assert.Equal([JsonNamingPolicy.CamelCase.ConvertName(property.Name)], RankingWebhooks.ChangedSettings(old, moved));
        }

        var next = old with { Version = old.Version + 1, ContentSharePercent = 36, ColdStartMinutes = 20 };
        var e = RankingWebhooks.Changed("default", old, next, T0);
        Assert.Equal(($"ranking:default:{next.Version}:ranking.config_changed", WebhookEventTypes.PlatformMerchantId, next.Version),
            (e.EventId, e.MerchantId, e.ResourceSeq));
        Assert.Equal(["contentSharePercent", "coldStartMinutes"], Data(e).GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(old.Version, Data(e).GetProperty("previousVersion").GetInt64());
    }

    [Fact]
    public void The_new_types_can_be_subscribed_and_no_merchant_id_can_be_the_platforms()
    {
        Assert.Equal([WebhookEventTypes.PayoutPaid, WebhookEventTypes.RankingConfigChanged, WebhookEventTypes.SettlementBatchPaid],
            WebhookEventTypes.Require([WebhookEventTypes.SettlementBatchPaid, WebhookEventTypes.RankingConfigChanged, WebhookEventTypes.PayoutPaid], "eventTypes"));
        Assert.False(Ids.IsValid(WebhookEventTypes.PlatformMerchantId));
    }

    [Fact]
    public async Task A_repeated_settlement_save_logs_its_events_once()
    {
        var (state, book, lines) = Account();
        var batch = book.Settle(T0.AddDays(1), lines)!;
        var log = new InMemoryWebhookStore();
        var store = new InMemorySettlementStore(log);
        var save = new AccountSave("m1", state.CopyBalances(), [], ["o1", "o2"], lines, [batch], [SettlementWebhooks.BatchPaid(batch, 0, state.BatchSequence)]);
        await store.SaveAsync(save);
        // The same save again (an activation that did not see its first one commit) is refused as a whole.
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => store.SaveAsync(save));

        var logged = await log.ReadAsync(["m1"], WebhookEventTypes.All.ToList(), 0, 100);
        Assert.Equal("settlements:m1:1:settlement.batch_paid", Assert.Single(logged).Event.EventId);
        Assert.NotNull(await store.GetBatchAsync("m1", batch.BatchId));
    }
}
