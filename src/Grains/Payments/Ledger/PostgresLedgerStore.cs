using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;
using Npgsql;
using NpgsqlTypes;

namespace LiveCommerce.Grains.Payments.Ledger;

/// <summary>
/// The postgres profile's ledger: tables <c>ledger_entries</c>, <c>settlement_batches</c> and
/// <c>settlement_batch_lines</c> (deploy/postgres/100-livecommerce-ledger.sql), written with one multi-row
/// statement per flush through Npgsql.
/// </summary>
public sealed class PostgresLedgerStore(NpgsqlDataSource dataSource) : ILedgerStore
{
    public async Task AppendAsync(IReadOnlyList<LedgerLine> lines, IReadOnlyList<SettlementBatch> batches, CancellationToken cancellationToken = default)
    {
        if (lines.Count == 0 && batches.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = new NpgsqlBatch(connection, transaction);
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
        foreach (var b in batches)
        {
            // A re-run after a crash between this append and the account's state write reuses the batch id:
            // the header and lines are upserted so the batch ends up describing what was actually settled.
            var header = new NpgsqlBatchCommand("""
                INSERT INTO settlement_batches (batch_id, account_id, business_date, created_at, total, line_count)
                VALUES (@id, @account, @date, @at, @total, @count)
                ON CONFLICT (batch_id) DO UPDATE SET total = excluded.total, line_count = excluded.line_count, created_at = excluded.created_at
                """);
            header.Parameters.AddWithValue("id", b.BatchId);
            header.Parameters.AddWithValue("account", b.AccountId);
            header.Parameters.AddWithValue("date", b.BusinessDate);
            header.Parameters.AddWithValue("at", b.CreatedAt.UtcDateTime);
            header.Parameters.AddWithValue("total", b.Total);
            header.Parameters.AddWithValue("count", b.Lines.Count);
            batch.BatchCommands.Add(header);

            var lineCommand = new NpgsqlBatchCommand("""
                INSERT INTO settlement_batch_lines (batch_id, order_id, share, basis_points, refunded_before, amount)
                SELECT @id, * FROM unnest(@orders, @shares, @bps, @refunded, @amounts)
                ON CONFLICT (batch_id, order_id) DO UPDATE SET share = excluded.share, basis_points = excluded.basis_points,
                    refunded_before = excluded.refunded_before, amount = excluded.amount
                """);
            lineCommand.Parameters.AddWithValue("id", b.BatchId);
            lineCommand.Parameters.Add(Array("orders", NpgsqlDbType.Text, b.Lines.Select(l => (object?)l.OrderId)));
            lineCommand.Parameters.Add(Array("shares", NpgsqlDbType.Bigint, b.Lines.Select(l => (object?)l.Share)));
            lineCommand.Parameters.Add(Array("bps", NpgsqlDbType.Integer, b.Lines.Select(l => (object?)l.BasisPoints)));
            lineCommand.Parameters.Add(Array("refunded", NpgsqlDbType.Bigint, b.Lines.Select(l => (object?)l.RefundedBeforeSettlement)));
            lineCommand.Parameters.Add(Array("amounts", NpgsqlDbType.Bigint, b.Lines.Select(l => (object?)l.Amount)));
            batch.BatchCommands.Add(lineCommand);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
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
