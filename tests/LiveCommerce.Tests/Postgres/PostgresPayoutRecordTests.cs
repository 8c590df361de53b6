using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Payments.Store;
using LiveCommerce.Tests.Support;
using Npgsql;

namespace LiveCommerce.Tests.Postgres;

/// <summary>
/// The ledger store keeps each recent payout's amount and balances after it, so a reused payout key is recognised and a
/// replay answers the original receipt after a reload.
/// </summary>
public sealed class PostgresPayoutRecordTests
{
    [Fact]
    public async Task Recent_payouts_keep_their_amount_through_the_store_and_older_rows_still_load()
    {
        var connectionString = await PostgresDatabase.RequireAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresSettlementStore(dataSource);
        var at = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
        var accountId = "payout-" + Guid.NewGuid().ToString("N")[..8];
        var balances = new AccountState { Exists = true, Available = 900, PaidOut = 100, TotalCredited = 1000, CreatedAt = at };
        balances.RecentPayouts["p1"] = new PayoutRecord(at, 100, AvailableAfter: 900, PaidOutAfter: 100);
        balances.RecentPayouts["p0"] = new PayoutRecord(at, 50); // written before receipts kept the balances
        await store.SaveAsync(new AccountSave(accountId, balances, [], [], [], [], []));

        var loaded = (await store.LoadAccountAsync(accountId))!;
        // The receipt's balances come back too, so a replay after a reload answers the original receipt.
        Assert.Equal(new PayoutRecord(at, 100, 900, 100), loaded.RecentPayouts["p1"]);
        Assert.Equal(new PayoutRecord(at, 50), loaded.RecentPayouts["p0"]);

        // A row written before amounts were kept: {"id": "time"}.
        await PostgresDatabase.ScalarAsync<int>(connectionString,
            "UPDATE settlement_accounts SET recent_payouts = jsonb_build_object('old', @at::text) WHERE account_id = @id RETURNING 1",
            ("at", at.ToString("O")), ("id", accountId));
        Assert.Equal(new PayoutRecord(at, null), (await store.LoadAccountAsync(accountId))!.RecentPayouts["old"]);
    }
}
