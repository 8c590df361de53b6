using System.Text.Json;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;
using Npgsql;
using NpgsqlTypes;

namespace LiveCommerce.Grains.Payments.Store;

/// <summary>
/// The postgres profile's settlement store (deploy/postgres/100-livecommerce-ledger.sql): <c>settlement_accounts</c>
/// (balances), <c>settlement_open_shares</c>, and the ledger <c>ledger_entries</c>, <c>settlement_batches</c>,
/// <c>settlement_batch_lines</c>. One save is one transaction of a few multi-row statements through Npgsql.
/// </summary>
public sealed class PostgresSettlementStore(NpgsqlDataSource dataSource) : ISettlementStore
{
    private const string SelectAccount =
        "SELECT cycle_days, pending, on_hold, available, paid_out, total_credited, total_reversed, batch_sequence, recent_payouts, created_at, anomalies, version " +
        "FROM settlement_accounts WHERE account_id = @id";

    private const string SelectShares =
        "SELECT order_id, share, basis_points, pending, on_hold, refunded, confirmed_at, settle_at, last_sequence " +
        "FROM settlement_open_shares WHERE account_id = @id";

    private const string UpsertAccount =
        "INSERT INTO settlement_accounts (account_id, cycle_days, pending, on_hold, available, paid_out, total_credited, total_reversed, " +
        "    batch_sequence, recent_payouts, created_at, anomalies, version, updated_at) " +
        "VALUES (@id, @cycle, @pending, @hold, @available, @paid, @credited, @reversed, @sequence, @payouts::jsonb, @created, @anomalies, @version + 1, now()) " +
        "ON CONFLICT (account_id) DO UPDATE SET cycle_days = excluded.cycle_days, pending = excluded.pending, on_hold = excluded.on_hold, " +
        "    available = excluded.available, paid_out = excluded.paid_out, total_credited = excluded.total_credited, " +
        "    total_reversed = excluded.total_reversed, batch_sequence = excluded.batch_sequence, recent_payouts = excluded.recent_payouts, " +
        "    anomalies = excluded.anomalies, version = excluded.version, updated_at = now() " +
        // Only over the version this activation loaded: a row another activation saved since is left alone (no row
        // affected), and the save fails as a whole.
        "WHERE settlement_accounts.version = @version";

    private const string UpsertShares =
        "INSERT INTO settlement_open_shares (account_id, order_id, share, basis_points, pending, on_hold, refunded, confirmed_at, settle_at, last_sequence) " +
        "SELECT @id, * FROM unnest(@orders, @shares, @bps, @pending, @holds, @refunded, @confirmed, @settle, @sequences) " +
        "ON CONFLICT (account_id, order_id) DO UPDATE SET share = excluded.share, basis_points = excluded.basis_points, " +
        "    pending = excluded.pending, on_hold = excluded.on_hold, refunded = excluded.refunded, confirmed_at = excluded.confirmed_at, " +
        "    settle_at = excluded.settle_at, last_sequence = excluded.last_sequence";

    public async Task<AccountState?> LoadAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        AccountState? state = null;
        await using (var command = new NpgsqlCommand(SelectAccount, connection))
        {
            command.Parameters.AddWithValue("id", accountId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
                state = new AccountState
                {
                    Exists = true,
                    CycleDays = reader.GetInt32(0), Pending = reader.GetInt64(1), OnHold = reader.GetInt64(2), Available = reader.GetInt64(3),
                    PaidOut = reader.GetInt64(4), TotalCredited = reader.GetInt64(5), TotalReversed = reader.GetInt64(6), BatchSequence = reader.GetInt32(7),
                    RecentPayouts = ReadPayouts(reader.GetString(8)),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(9), Anomalies = reader.GetInt32(10), Version = reader.GetInt64(11),
                };
        }
        if (state is null) return null;
        await using (var command = new NpgsqlCommand(SelectShares, connection))
        {
            command.Parameters.AddWithValue("id", accountId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var share = new OpenShare
                {
                    OrderId = reader.GetString(0), Share = reader.GetInt64(1), BasisPoints = reader.GetInt32(2), Pending = reader.GetInt64(3),
                    OnHold = reader.GetInt64(4), Refunded = reader.GetInt64(5),
                    ConfirmedAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    SettleAt = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                    LastSequence = reader.GetInt32(8),
                };
                state.Open[share.OrderId] = share;
            }
        }
        return state;
    }

    /// <summary>Payout records: {"id": {"At": ..., "Amount": ...}}, or the older {"id": "time"} without the amount.</summary>
    public static Dictionary<string, PayoutRecord> ReadPayouts(string json)
    {
        var payouts = new Dictionary<string, PayoutRecord>();
        using var document = JsonDocument.Parse(json);
        foreach (var p in document.RootElement.EnumerateObject())
            payouts[p.Name] = p.Value.ValueKind == JsonValueKind.String
                ? new PayoutRecord(p.Value.GetDateTimeOffset(), null)
                : p.Value.Deserialize<PayoutRecord>()!;
        return payouts;
    }

    public async Task SaveAsync(AccountSave save, CancellationToken cancellationToken = default)
    {
        var (lines, batches) = (save.Lines, save.Batches);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = new NpgsqlBatch(connection, transaction);

        var b = save.Balances;
        var balances = new NpgsqlBatchCommand(UpsertAccount);
        balances.Parameters.AddWithValue("id", save.AccountId);
        balances.Parameters.AddWithValue("cycle", b.CycleDays);
        balances.Parameters.AddWithValue("pending", b.Pending);
        balances.Parameters.AddWithValue("hold", b.OnHold);
        balances.Parameters.AddWithValue("available", b.Available);
        balances.Parameters.AddWithValue("paid", b.PaidOut);
        balances.Parameters.AddWithValue("credited", b.TotalCredited);
        balances.Parameters.AddWithValue("reversed", b.TotalReversed);
        balances.Parameters.AddWithValue("sequence", b.BatchSequence);
        balances.Parameters.AddWithValue("payouts", JsonSerializer.Serialize(b.RecentPayouts));
        balances.Parameters.AddWithValue("created", b.CreatedAt.UtcDateTime);
        balances.Parameters.AddWithValue("anomalies", b.Anomalies);
        balances.Parameters.AddWithValue("version", b.Version);
        batch.BatchCommands.Add(balances);

        if (save.ClosedShares.Count > 0)
        {
            var closed = new NpgsqlBatchCommand("DELETE FROM settlement_open_shares WHERE account_id = @id AND order_id = ANY(@orders)");
            closed.Parameters.AddWithValue("id", save.AccountId);
            closed.Parameters.Add(new NpgsqlParameter("orders", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = save.ClosedShares.ToArray() });
            batch.BatchCommands.Add(closed);
        }
        if (save.ChangedShares.Count > 0)
        {
            var shares = save.ChangedShares;
            var upsert = new NpgsqlBatchCommand(UpsertShares);
            upsert.Parameters.AddWithValue("id", save.AccountId);
            upsert.Parameters.Add(Array("orders", NpgsqlDbType.Text, shares.Select(s => (object?)s.OrderId)));
            upsert.Parameters.Add(Array("shares", NpgsqlDbType.Bigint, shares.Select(s => (object?)s.Share)));
            upsert.Parameters.Add(Array("bps", NpgsqlDbType.Integer, shares.Select(s => (object?)s.BasisPoints)));
            upsert.Parameters.Add(Array("pending", NpgsqlDbType.Bigint, shares.Select(s => (object?)s.Pending)));
            upsert.Parameters.Add(Array("holds", NpgsqlDbType.Bigint, shares.Select(s => (object?)s.OnHold)));
            upsert.Parameters.Add(Array("refunded", NpgsqlDbType.Bigint, shares.Select(s => (object?)s.Refunded)));
            upsert.Parameters.Add(Array("confirmed", NpgsqlDbType.TimestampTz, shares.Select(s => (object?)s.ConfirmedAt?.UtcDateTime)));
            upsert.Parameters.Add(Array("settle", NpgsqlDbType.TimestampTz, shares.Select(s => (object?)s.SettleAt?.UtcDateTime)));
            upsert.Parameters.Add(Array("sequences", NpgsqlDbType.Integer, shares.Select(s => (object?)s.LastSequence)));
            batch.BatchCommands.Add(upsert);
        }
        if (lines.Count > 0)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO ledger_entries (entry_id, account_id, order_id, kind, amount, created_at, batch_id)
                SELECT * FROM unnest(@ids, @accounts, @orders, @kinds, @amounts, @ats, @batches)
                ON CONFLICT (entry_id) DO NOTHING
                """);
            command.Parameters.Add(Array("ids", NpgsqlDbType.Text, lines.Select(l => (object?)l.EntryId)));
            command.Parameters.Add(Array("accounts", NpgsqlDbType.Text, lines.Select(l => (object?)l.AccountId)));
            command.Parameters.Add(Array("orders", NpgsqlDbType.Text, lines.Select(l => (object?)l.OrderId)));
            command.Parameters.Add(Array("kinds", NpgsqlDbType.Text, lines.Select(l => (object?)l.Kind)));
            command.Parameters.Add(Array("amounts", NpgsqlDbType.Bigint, lines.Select(l => (object?)l.Amount)));
            command.Parameters.Add(Array("ats", NpgsqlDbType.TimestampTz, lines.Select(l => (object?)l.At.UtcDateTime)));
            command.Parameters.Add(Array("batches", NpgsqlDbType.Text, lines.Select(l => (object?)l.BatchId)));
            batch.BatchCommands.Add(command);
        }
        foreach (var settled in batches)
        {
            // Saved with the balances in one transaction; the upserts keep a repeated save harmless.
            var header = new NpgsqlBatchCommand("""
                INSERT INTO settlement_batches (batch_id, account_id, business_date, created_at, total, line_count)
                VALUES (@id, @account, @date, @at, @total, @count)
                ON CONFLICT (batch_id) DO UPDATE SET total = excluded.total, line_count = excluded.line_count, created_at = excluded.created_at
                """);
            header.Parameters.AddWithValue("id", settled.BatchId);
            header.Parameters.AddWithValue("account", settled.AccountId);
            header.Parameters.AddWithValue("date", settled.BusinessDate);
            header.Parameters.AddWithValue("at", settled.CreatedAt.UtcDateTime);
            header.Parameters.AddWithValue("total", settled.Total);
            header.Parameters.AddWithValue("count", settled.Lines.Count);
            batch.BatchCommands.Add(header);

            var lineCommand = new NpgsqlBatchCommand("""
                INSERT INTO settlement_batch_lines (batch_id, order_id, share, basis_points, refunded_before, amount)
                SELECT @id, * FROM unnest(@orders, @shares, @bps, @refunded, @amounts)
                ON CONFLICT (batch_id, order_id) DO UPDATE SET share = excluded.share, basis_points = excluded.basis_points,
                    refunded_before = excluded.refunded_before, amount = excluded.amount
                """);
            lineCommand.Parameters.AddWithValue("id", settled.BatchId);
            lineCommand.Parameters.Add(Array("orders", NpgsqlDbType.Text, settled.Lines.Select(l => (object?)l.OrderId)));
            lineCommand.Parameters.Add(Array("shares", NpgsqlDbType.Bigint, settled.Lines.Select(l => (object?)l.Share)));
            lineCommand.Parameters.Add(Array("bps", NpgsqlDbType.Integer, settled.Lines.Select(l => (object?)l.BasisPoints)));
            lineCommand.Parameters.Add(Array("refunded", NpgsqlDbType.Bigint, settled.Lines.Select(l => (object?)l.RefundedBeforeSettlement)));
            lineCommand.Parameters.Add(Array("amounts", NpgsqlDbType.Bigint, settled.Lines.Select(l => (object?)l.Amount)));
            batch.BatchCommands.Add(lineCommand);
        }
        if (save.Events.Count > 0)
        {
            // The webhook events this change caused commit with it: a silo dying after the commit still delivers them.
            var events = new NpgsqlBatchCommand(Platform.Webhooks.PostgresWebhookStore.AppendSql);
            Platform.Webhooks.PostgresWebhookStore.AddAppendParameters(events.Parameters, save.Events);
            batch.BatchCommands.Add(events);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (balances.RecordsAffected != 1)
        {
            // Rolled back with the transaction: none of this save's lines, shares or events are written.
            await transaction.RollbackAsync(cancellationToken);
            throw SettlementConflict.Of(save.AccountId, b.Version, await StoredVersionAsync(save.AccountId, cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<long> StoredVersionAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT version FROM settlement_accounts WHERE account_id = @id");
        command.Parameters.AddWithValue("id", accountId);
        return await command.ExecuteScalarAsync(cancellationToken) is long version ? version : -1;
    }

    public async Task<bool> ContainsEntryAsync(string entryId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE entry_id = @id)");
        command.Parameters.AddWithValue("id", entryId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<SettlementBatchView>> GetBatchesAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT batch_id, account_id, business_date, created_at, total, line_count FROM settlement_batches
            WHERE account_id = @account AND business_date BETWEEN @from AND @to
            ORDER BY created_at, batch_id
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var result = new List<SettlementBatchView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(new SettlementBatchView(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt64(4), reader.GetInt32(5), []));
        return result;
    }

    public async Task<SettlementBatchView?> GetBatchAsync(string accountId, string batchId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        SettlementBatchView? header = null;
        await using (var command = new NpgsqlCommand("""
            SELECT batch_id, account_id, business_date, created_at, total, line_count FROM settlement_batches
            WHERE account_id = @account AND batch_id = @id
            """, connection))
        {
            command.Parameters.AddWithValue("account", accountId);
            command.Parameters.AddWithValue("id", batchId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
                header = new SettlementBatchView(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt64(4), reader.GetInt32(5), []);
        }
        if (header is null) return null;

        var lines = new List<SettlementLineView>();
        await using (var command = new NpgsqlCommand("""
            SELECT order_id, share, basis_points, refunded_before, amount FROM settlement_batch_lines
            WHERE batch_id = @id ORDER BY order_id
            """, connection))
        {
            command.Parameters.AddWithValue("id", batchId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                lines.Add(new SettlementLineView(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        return header with { Lines = lines };
    }

    public async Task<IReadOnlyList<LedgerLineView>> GetLinesAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT entry_id, account_id, order_id, kind, amount, created_at, batch_id FROM ledger_entries
            WHERE account_id = @account AND created_at >= @from AND created_at < @to
            ORDER BY created_at, entry_id
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        return await ReadLinesAsync(command, cancellationToken);
    }

    public async Task<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM settlement_accounts WHERE account_id = @id)");
        command.Parameters.AddWithValue("id", accountId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> GetCreditedOrdersAsync(string accountId, DateTimeOffset before, string? afterOrderId, bool fromInclusive, int limit,
        CancellationToken cancellationToken = default)
    {
        // The kind list matches ix_ledger_entries_credited_orders' predicate (150-regulatory-export.sql) word for word.
        await using var command = dataSource.CreateCommand($"""
            SELECT DISTINCT order_id COLLATE "C" AS order_id FROM ledger_entries
            WHERE account_id = @account AND kind IN ('credit_pending', 'credit_on_hold') AND created_at < @before
              AND (@after::text IS NULL OR order_id COLLATE "C" {(fromInclusive ? ">=" : ">")} @after::text COLLATE "C")
            ORDER BY order_id COLLATE "C" LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Text) { Value = (object?)afterOrderId ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(reader.GetString(0));
        return result;
    }

    public async Task<IReadOnlyList<LedgerLineView>> GetOrderLinesAsync(IReadOnlyList<string> orderIds, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyList<string> kinds, LinePosition? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT entry_id, account_id, order_id, kind, amount, created_at, batch_id FROM ledger_entries
            WHERE order_id = ANY(@orders) AND created_at >= @from AND created_at < @to AND kind = ANY(@kinds)
              AND (@afterOrder::text IS NULL
                   OR (order_id COLLATE "C", created_at, entry_id COLLATE "C") > (@afterOrder::text COLLATE "C", @afterAt, @afterEntry::text COLLATE "C"))
            ORDER BY order_id COLLATE "C", created_at, entry_id COLLATE "C"
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter("orders", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = orderIds.ToArray() });
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        command.Parameters.Add(new NpgsqlParameter("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = kinds.ToArray() });
        AddPosition(command, after);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadLinesAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<LedgerLineView>> GetAccountLinesAsync(string accountId, string kind, DateTimeOffset from, DateTimeOffset to, LinePosition? after,
        int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT entry_id, account_id, order_id, kind, amount, created_at, batch_id FROM ledger_entries
            WHERE account_id = @account AND order_id IS NULL AND kind = @kind AND created_at >= @from AND created_at < @to
              AND (@afterAt::timestamptz IS NULL OR (created_at, entry_id COLLATE "C") > (@afterAt, @afterEntry::text COLLATE "C"))
            ORDER BY created_at, entry_id COLLATE "C"
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        AddPosition(command, after);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadLinesAsync(command, cancellationToken);
    }

    private static void AddPosition(NpgsqlCommand command, LinePosition? after)
    {
        command.Parameters.Add(new NpgsqlParameter("afterOrder", NpgsqlDbType.Text) { Value = (object?)after?.OrderId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("afterAt", NpgsqlDbType.TimestampTz) { Value = (object?)after?.At.UtcDateTime ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("afterEntry", NpgsqlDbType.Text) { Value = (object?)after?.EntryId ?? DBNull.Value });
    }

    private static async Task<IReadOnlyList<LedgerLineView>> ReadLinesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LedgerLineView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(new LedgerLineView(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        return result;
    }

    private static NpgsqlParameter Array(string name, NpgsqlDbType elementType, IEnumerable<object?> values) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values.Select(v => v ?? DBNull.Value).ToArray() };
}
