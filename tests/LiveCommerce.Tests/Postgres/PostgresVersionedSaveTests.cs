using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Grains.Rooms;
using LiveCommerce.Tests.Support;
using Npgsql;
using Orleans.Storage;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// Two activations of one account or room that loaded the same version: the first save wins, the second changes
/// nothing (not the balances, not a ledger line, not a stock line), and after a reload the loser saves on top.
/// </summary>
public sealed class PostgresVersionedSaveTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_second_of_two_account_saves_from_the_same_version_writes_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PostgresDatabase.RequireAsync());
        var store = new PostgresSettlementStore(dataSource);
        var id = "ver-" + Guid.NewGuid().ToString("N")[..8];
        await store.SaveAsync(new AccountSave(id, new AccountState { Exists = true, CreatedAt = T0 }, [], [], [], [], []));

        var first = (await store.LoadAccountAsync(id))!;
        var second = (await store.LoadAccountAsync(id))!;
        Assert.Equal(1, first.Version);
        await store.SaveAsync(Credit(id, first, "oa", 7000));
        var refused = Credit(id, second, "ob", 3000);
        await Assert.ThrowsAsync<InconsistentStateException>(() => store.SaveAsync(refused));

        var stored = (await store.LoadAccountAsync(id))!;
        Assert.Equal((7000L, 2L, 1), (stored.Pending, stored.Version, stored.Open.Count));
        Assert.False(await store.ContainsEntryAsync(refused.Lines[0].EntryId));

        await store.SaveAsync(Credit(id, stored, "ob", 3000)); // the loser, reloaded
        var after = (await store.LoadAccountAsync(id))!;
        Assert.Equal((10_000L, 3L, 2), (after.Pending, after.Version, after.Open.Count));
    }

    [Fact]
    public async Task The_second_of_two_stock_line_writes_from_the_same_version_writes_nothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PostgresDatabase.RequireAsync());
        var ledger = new PostgresRoomStockLedger(dataSource);
        var room = "ver-room-" + Guid.NewGuid().ToString("N")[..8];

        var loaded = await ledger.LoadAsync(room);
        Assert.Equal(0, loaded.Version); // a room never written (or written before versions) starts at 0
        await ledger.WriteAsync(room, loaded.Version, [Line(room + "-o1", 1)]);
        var refused = Line(room + "-o2", 2);
        await Assert.ThrowsAsync<InconsistentStateException>(() => ledger.WriteAsync(room, loaded.Version, [refused]));
        Assert.Null(await ledger.FindAsync(room, refused.OrderId));

        var reloaded = await ledger.LoadAsync(room);
        Assert.Equal((1L, 1), (reloaded.Version, reloaded.Open.Sum(l => l.Quantity)));
        await ledger.WriteAsync(room, reloaded.Version, [refused, reloaded.Open[0] with { Status = StockLineStatus.Sold, Amount = 9900 }]);
        var after = await ledger.LoadAsync(room);
        Assert.Equal((2L, 2, 1), (after.Version, after.Open.Sum(l => l.Quantity), after.Totals.Single().SoldUnits));
    }

    [Fact]
    public async Task The_embedded_stores_refuse_a_stale_save_the_same_way()
    {
        var store = new InMemorySettlementStore(new LiveCommerce.Grains.Platform.Webhooks.InMemoryWebhookStore());
        await store.SaveAsync(new AccountSave("m", new AccountState { Exists = true, CreatedAt = T0 }, [], [], [], [], []));
        var (first, second) = ((await store.LoadAccountAsync("m"))!, (await store.LoadAccountAsync("m"))!);
        await store.SaveAsync(Credit("m", first, "oa", 7000));
        var refused = Credit("m", second, "ob", 3000);
        await Assert.ThrowsAsync<InconsistentStateException>(() => store.SaveAsync(refused));
        Assert.Equal(7000, (await store.LoadAccountAsync("m"))!.Pending);
        Assert.False(await store.ContainsEntryAsync(refused.Lines[0].EntryId));

        var ledger = new InMemoryRoomStockLedger();
        await ledger.WriteAsync("r", 0, [Line("o1", 1)]);
        await Assert.ThrowsAsync<InconsistentStateException>(() => ledger.WriteAsync("r", 0, [Line("o2", 2)]));
        Assert.Null(await ledger.FindAsync("r", "o2"));
        Assert.Equal(1, (await ledger.LoadAsync("r")).Version);
    }

    private static AccountSave Credit(string accountId, AccountState state, string order, long amount)
    {
        var lines = new List<LedgerLine>();
        new AccountBook(accountId, state, new BusinessCalendar(new BusinessCalendarOptions()))
            .Apply(new AccountPosting($"{order}:{accountId}:1", order, PostingKind.CreditPending, amount, T0, 1, 7000), null, lines);
        return new AccountSave(accountId, state.CopyBalances(), state.Open.Values.Select(s => s.Copy()).ToList(), [], lines, [], []);
    }

    private static StockLine Line(string orderId, int quantity) =>
        new(orderId, "p1", "b1", quantity, 9900, T0.AddMinutes(15), StockLineStatus.Reserved, 0, T0);
}
