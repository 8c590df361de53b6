using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Grains.Platform.Webhooks;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// A settlement account's webhook events commit in the same PostgreSQL transaction as the batch or payout that caused
/// them: after the save the event is in the log (once, however often the save is repeated), and a save that cannot
/// write its event writes nothing at all.
/// </summary>
public sealed class PostgresSettlementWebhookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_settlement_batch_and_a_payout_commit_with_their_events_and_a_repeated_save_is_refused_and_logs_nothing_twice()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresSettlementStore(dataSource);
        var log = new PostgresWebhookStore(dataSource, Options.Create(new WebhookOptions { CursorSettle = TimeSpan.Zero }));
        var accountId = "pgw-" + Guid.NewGuid().ToString("N")[..8];
        var state = new AccountState { Exists = true, CycleDays = 0, CreatedAt = T0 };
        var book = new AccountBook(accountId, state, new BusinessCalendar(new BusinessCalendarOptions()));
        var lines = new List<LedgerLine>();
        book.Apply(new AccountPosting($"o1:{accountId}:1", "o1-" + accountId, PostingKind.CreditPending, 7000, T0, 1, 7000), null, lines);
        book.Apply(new AccountPosting($"o1:{accountId}:2", "o1-" + accountId, PostingKind.Confirm, 0, T0, 2, 7000), null, lines);
        var batch = book.Settle(T0.AddHours(1), lines)!;
        Assert.False(book.Payout("po-1", 3000, T0.AddHours(2), lines).Replayed);
        var events = new[]
        {
            SettlementWebhooks.BatchPaid(batch, state.CycleDays, state.BatchSequence),
            SettlementWebhooks.PayoutPaid(accountId, "po-1", 3000, state, T0.AddHours(2)),
        };
        var save = new AccountSave(accountId, state.CopyBalances(), [], ["o1-" + accountId], lines, [batch], events);

        await store.SaveAsync(save);
        // The same save again (an activation that did not see its first one commit) is refused as a whole.
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => store.SaveAsync(save));

        var logged = await log.ReadAsync([accountId], WebhookEventTypes.All.ToList(), 0, 100);
        Assert.Equal([$"payouts:{accountId}:3000:payout.paid", $"settlements:{accountId}:1:settlement.batch_paid"],
            logged.Select(l => l.Event.EventId).Order(StringComparer.Ordinal));
        var paid = logged.Single(l => l.Event.Type == WebhookEventTypes.SettlementBatchPaid).Event;
        Assert.Equal(events[0] with { Payload = paid.Payload }, paid);
        Assert.Contains("\"net\": 7000", paid.Payload); // jsonb's own rendering of the payload
        Assert.NotNull(await store.GetBatchAsync(accountId, batch.BatchId));
        Assert.Equal(3000, (await store.LoadAccountAsync(accountId))!.PaidOut);
    }

    [Fact]
    public async Task A_save_whose_event_cannot_be_written_writes_neither_the_ledger_nor_the_event()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresSettlementStore(dataSource);
        var accountId = "pgw-" + Guid.NewGuid().ToString("N")[..8];
        var state = new AccountState { Exists = true, Available = 500, TotalCredited = 500, CreatedAt = T0 };
        var book = new AccountBook(accountId, state, new BusinessCalendar(new BusinessCalendarOptions()));
        var lines = new List<LedgerLine>();
        Assert.False(book.Payout("po-x", 200, T0, lines).Replayed);
        // The payload is not JSON: its insert fails inside the transaction, after the balances and ledger commands.
        var broken = SettlementWebhooks.PayoutPaid(accountId, "po-x", 200, state, T0) with { Payload = "not json" };

        await Assert.ThrowsAsync<PostgresException>(() => store.SaveAsync(new AccountSave(accountId, state.CopyBalances(), [], [], lines, [], [broken])));

        Assert.Null(await store.LoadAccountAsync(accountId));
        Assert.False(await store.ContainsEntryAsync(lines[0].EntryId));
        Assert.Equal(0L, await PostgresDatabase.ScalarAsync<long>(connectionString, "SELECT count(*) FROM webhook_events WHERE event_id = @id", ("id", broken.EventId)));
    }
}
