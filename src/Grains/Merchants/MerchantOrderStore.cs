using System.Collections.Concurrent;
using System.Text.Json;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using Npgsql;
using NpgsqlTypes;

namespace LiveCommerce.Grains.Merchants;

/// <summary>
/// Storage of the merchant order list's projection: answers keyset pages, filters and status counts from an index,
/// never by asking order grains. Postgres in the postgres profile, memory in the embedded one.
/// </summary>
public interface IMerchantOrderStore
{
    /// <summary>Folds the events into their records (<see cref="MerchantOrderProjection"/>) and stores them, atomically per call.</summary>
    Task ApplyAsync(IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> listed rows after <paramref name="after"/>, newest placed first (ties: order id descending).</summary>
    Task<IReadOnlyList<MerchantOrderRow>> ListAsync(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit,
        CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StatusCount>> CountAsync(string merchantId, MerchantOrderFilter filter, CancellationToken cancellationToken = default);

    Task<MerchantOrderRow?> FindAsync(string merchantId, string orderId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces rows of one merchant with rows rebuilt from order state and removes the rows of <paramref name="removals"/>
    /// (order ids), atomically and under the lock the feed's writes take. A row updated after its order was read is left
    /// alone and named in <see cref="ReplaceOutcome.Moved"/> (<see cref="MerchantOrderRebuild.Decide"/>).
    /// </summary>
    Task<ReplaceOutcome> ReplaceAsync(string merchantId, IReadOnlyList<RebuiltRecord> rows, IReadOnlyList<string> removals,
        CancellationToken cancellationToken = default);
}

/// <summary>Folds a batch of events per order, starting from the stored records.</summary>
internal static class ProjectionBatch
{
    public static Dictionary<(string MerchantId, string OrderId), MerchantOrderRecord> Fold(IReadOnlyList<DomainEvent> events,
        Func<(string MerchantId, string OrderId), MerchantOrderRecord?> stored)
    {
        var changed = new Dictionary<(string, string), MerchantOrderRecord>();
        foreach (var e in events)
        {
            if (MerchantOrderProjection.KeyOf(e) is not { } key) continue;
            var current = changed.TryGetValue(key, out var c) ? c : stored(key);
            changed[key] = MerchantOrderProjection.Apply(current, e);
        }
        return changed;
    }

    public static bool Before(MerchantOrderRow row, OrderListPosition after) =>
        row.PlacedAt < after.PlacedAt || (row.PlacedAt == after.PlacedAt && string.CompareOrdinal(row.OrderId, after.OrderId) < 0);
}

public sealed class InMemoryMerchantOrderStore : IMerchantOrderStore
{
    private readonly ConcurrentDictionary<(string MerchantId, string OrderId), MerchantOrderRecord> _records = new();
    private readonly Lock _gate = new();

    public Task ApplyAsync(IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var changed = ProjectionBatch.Fold(events, key => _records.TryGetValue(key, out var r) ? r : null);
            foreach (var (key, record) in changed) _records[key] = record;
        }
        return Task.CompletedTask;
    }

    public Task<ReplaceOutcome> ReplaceAsync(string merchantId, IReadOnlyList<RebuiltRecord> rows, IReadOnlyList<string> removals,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var (write, outcome) = MerchantOrderRebuild.Plan(merchantId, rows, removals,
                id => _records.TryGetValue((merchantId, id), out var r) ? r : null);
            foreach (var record in write) _records[(merchantId, record.OrderId)] = record.Copy();
            foreach (var id in removals) _records.TryRemove((merchantId, id), out _);
            return Task.FromResult(outcome);
        }
    }

    private IEnumerable<MerchantOrderRow> Rows(string merchantId, MerchantOrderFilter filter) =>
        _records.Values.Where(r => r.MerchantId == merchantId && r.Listed).Select(r => r.ToRow()).Where(filter.Matches);

    public Task<IReadOnlyList<MerchantOrderRow>> ListAsync(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<MerchantOrderRow> page = Rows(merchantId, filter)
            .Where(r => after is null || ProjectionBatch.Before(r, after))
            .OrderByDescending(r => r.PlacedAt).ThenByDescending(r => r.OrderId, StringComparer.Ordinal)
            .Take(limit).ToList();
        return Task.FromResult(page);
    }

    public Task<IReadOnlyList<StatusCount>> CountAsync(string merchantId, MerchantOrderFilter filter, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<StatusCount> counts = Rows(merchantId, filter.WithoutStatus())
            .GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => new StatusCount(g.Key, g.Count())).ToList();
        return Task.FromResult(counts);
    }

    public Task<MerchantOrderRow?> FindAsync(string merchantId, string orderId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_records.TryGetValue((merchantId, orderId), out var r) && r.Listed ? r.ToRow() : null);
}

/// <summary>Table <c>merchant_orders</c> (deploy/postgres/130-merchant-orders.sql).</summary>
/// <summary>
/// Gives the feeds of all merchants on a silo one write at a time, at most one per <c>interval</c>: each write is a
/// transaction of several round trips whatever its size, so a busy evening costs a few writes a second, not one per
/// order event. Reads go straight through; the list lags its events by up to the interval.
/// </summary>
public sealed class GroupCommittedMerchantOrderStore(IMerchantOrderStore inner, TimeSpan interval) : IMerchantOrderStore
{
    private readonly Common.GroupCommit<DomainEvent> _writes = new(events => inner.ApplyAsync(events), interval);

    public Task ApplyAsync(IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken = default) => _writes.AppendAsync(events);

    public Task<IReadOnlyList<MerchantOrderRow>> ListAsync(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit,
        CancellationToken cancellationToken = default) => inner.ListAsync(merchantId, filter, after, limit, cancellationToken);

    public Task<IReadOnlyList<StatusCount>> CountAsync(string merchantId, MerchantOrderFilter filter, CancellationToken cancellationToken = default) =>
        inner.CountAsync(merchantId, filter, cancellationToken);

    public Task<MerchantOrderRow?> FindAsync(string merchantId, string orderId, CancellationToken cancellationToken = default) =>
        inner.FindAsync(merchantId, orderId, cancellationToken);

    // Straight through: the merchant's lock orders it with the group's writes, and whichever runs second sees the other.
    public Task<ReplaceOutcome> ReplaceAsync(string merchantId, IReadOnlyList<RebuiltRecord> rows, IReadOnlyList<string> removals,
        CancellationToken cancellationToken = default) => inner.ReplaceAsync(merchantId, rows, removals, cancellationToken);
}

public sealed class PostgresMerchantOrderStore(NpgsqlDataSource dataSource) : IMerchantOrderStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = """
        merchant_id, order_id, buyer_id, room_id, streamer_id, product_id, quantity, unit_price, amount, status, placed_at,
        paid_at, shipped_at, refunded_amount, refund_keys, after_sale, after_sale_at, address, updated_at
        """;

    public async Task ApplyAsync(IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken = default)
    {
        var keys = events.Select(MerchantOrderProjection.KeyOf).OfType<(string MerchantId, string OrderId)>().Distinct().ToList();
        if (keys.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await LockMerchantsAsync(connection, tx, keys.Select(k => k.MerchantId), cancellationToken);
        var stored = await ReadStoredAsync(connection, tx, keys, cancellationToken);
        var changed = ProjectionBatch.Fold(events, key => stored.TryGetValue(key, out var r) ? r : null).Values.ToList();
        await UpsertAsync(connection, tx, changed, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<ReplaceOutcome> ReplaceAsync(string merchantId, IReadOnlyList<RebuiltRecord> rows, IReadOnlyList<string> removals,
        CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0 && removals.Count == 0) return ReplaceOutcome.Empty;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // The feed's lock: no fold of this merchant's events runs between reading the stored rows and replacing them.
        await LockMerchantsAsync(connection, tx, [merchantId], cancellationToken);
        var keys = rows.Select(r => r.Record.OrderId).Concat(removals).Distinct().Select(id => (merchantId, id)).ToList();
        var stored = await ReadStoredAsync(connection, tx, keys, cancellationToken);
        var (write, outcome) = MerchantOrderRebuild.Plan(merchantId, rows, removals, id => stored.TryGetValue((merchantId, id), out var r) ? r : null);
        await UpsertAsync(connection, tx, write, cancellationToken);
        if (removals.Count > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM merchant_orders WHERE merchant_id = @merchant AND order_id = ANY(@orders)", connection, tx);
            delete.Parameters.AddWithValue("merchant", merchantId);
            delete.Parameters.Add(TextArray("orders", removals));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>
    /// One writer per merchant at a time (locks taken in one statement, in order: no deadlock), so read-fold-write
    /// cannot lose an update.
    /// </summary>
    private static async Task LockMerchantsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IEnumerable<string> merchantIds,
        CancellationToken cancellationToken)
    {
        await using var lockCommand = new NpgsqlCommand("""
            SELECT count(pg_advisory_xact_lock(hashtext('merchant-orders:' || m)))
            FROM (SELECT m FROM unnest(@ms) AS u(m) ORDER BY m COLLATE "C") AS ordered
            """, connection, tx);
        lockCommand.Parameters.Add(TextArray("ms", merchantIds.Distinct()));
        await lockCommand.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<Dictionary<(string, string), MerchantOrderRecord>> ReadStoredAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        IReadOnlyList<(string MerchantId, string OrderId)> keys, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<(string, string), MerchantOrderRecord>();
        await using var read = new NpgsqlCommand($"""
            SELECT {Columns} FROM merchant_orders m
            JOIN unnest(@merchants, @orders) AS k(mid, oid) ON m.merchant_id = k.mid AND m.order_id = k.oid
            """, connection, tx);
        read.Parameters.Add(TextArray("merchants", keys.Select(k => k.MerchantId)));
        read.Parameters.Add(TextArray("orders", keys.Select(k => k.OrderId)));
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var r = ReadRecord(reader);
            stored[(r.MerchantId, r.OrderId)] = r;
        }
        return stored;
    }

    private static async Task UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<MerchantOrderRecord> changed,
        CancellationToken cancellationToken)
    {
        if (changed.Count == 0) return;
        await using (var write = new NpgsqlCommand("""
            INSERT INTO merchant_orders (merchant_id, order_id, buyer_id, room_id, streamer_id, product_id, quantity, unit_price, amount, status,
                placed_at, paid_at, shipped_at, refunded_amount, refund_keys, after_sale, after_sale_at, address, updated_at)
            SELECT mid, oid, bid, rid, sid, pid, q, u, a, st, pl, pa, sh, rf, string_to_array(rk, ' '), af, afa, ad::jsonb, up
            FROM unnest(@mids, @oids, @bids, @rids, @sids, @pids, @qs, @us, @as, @sts, @pls, @pas, @shs, @rfs, @rks, @afs, @afas, @ads, @ups)
                AS t(mid, oid, bid, rid, sid, pid, q, u, a, st, pl, pa, sh, rf, rk, af, afa, ad, up)
            ON CONFLICT (merchant_id, order_id) DO UPDATE SET
                buyer_id = excluded.buyer_id, room_id = excluded.room_id, streamer_id = excluded.streamer_id, product_id = excluded.product_id,
                quantity = excluded.quantity, unit_price = excluded.unit_price, amount = excluded.amount, status = excluded.status,
                placed_at = excluded.placed_at, paid_at = excluded.paid_at, shipped_at = excluded.shipped_at,
                refunded_amount = excluded.refunded_amount, refund_keys = excluded.refund_keys, after_sale = excluded.after_sale,
                after_sale_at = excluded.after_sale_at, address = excluded.address, updated_at = excluded.updated_at
            """, connection, tx))
        {
            write.Parameters.Add(TextArray("mids", changed.Select(r => r.MerchantId)));
            write.Parameters.Add(TextArray("oids", changed.Select(r => r.OrderId)));
            write.Parameters.Add(TextArray("bids", changed.Select(r => r.BuyerId)));
            write.Parameters.Add(TextArray("rids", changed.Select(r => r.RoomId)));
            write.Parameters.Add(TextArray("sids", changed.Select(r => r.StreamerId)));
            write.Parameters.Add(TextArray("pids", changed.Select(r => r.ProductId)));
            write.Parameters.Add(Array("qs", NpgsqlDbType.Integer, changed.Select(r => (object?)r.Quantity)));
            write.Parameters.Add(Array("us", NpgsqlDbType.Bigint, changed.Select(r => (object?)r.UnitPrice)));
            write.Parameters.Add(Array("as", NpgsqlDbType.Bigint, changed.Select(r => (object?)r.Amount)));
            write.Parameters.Add(Array("sts", NpgsqlDbType.Smallint, changed.Select(r => (object?)(short)r.Status)));
            write.Parameters.Add(Array("pls", NpgsqlDbType.TimestampTz, changed.Select(r => Utc(r.PlacedAt))));
            write.Parameters.Add(Array("pas", NpgsqlDbType.TimestampTz, changed.Select(r => Utc(r.PaidAt))));
            write.Parameters.Add(Array("shs", NpgsqlDbType.TimestampTz, changed.Select(r => Utc(r.ShippedAt))));
            write.Parameters.Add(Array("rfs", NpgsqlDbType.Bigint, changed.Select(r => (object?)r.RefundedAmount)));
            // Refund keys hold no spaces (ticks:amount), so one space-joined text per row goes through unnest.
            write.Parameters.Add(TextArray("rks", changed.Select(r => string.Join(' ', r.RefundKeys))));
            write.Parameters.Add(Array("afs", NpgsqlDbType.Smallint, changed.Select(r => (object?)(short)r.AfterSale)));
            write.Parameters.Add(Array("afas", NpgsqlDbType.TimestampTz, changed.Select(r => Utc(r.AfterSaleAt))));
            write.Parameters.Add(Array("ads", NpgsqlDbType.Text, changed.Select(r => r.ShippingAddress is { } a ? JsonSerializer.Serialize(a, Json) : null)));
            write.Parameters.Add(Array("ups", NpgsqlDbType.TimestampTz, changed.Select(r => Utc(r.UpdatedAt))));
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<MerchantOrderRow>> ListAsync(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand();
        var where = Where(command, merchantId, filter);
        if (after is not null)
        {
            where += " AND (placed_at, order_id) < (@afterAt, @afterOrder)";
            command.Parameters.AddWithValue("afterAt", NpgsqlDbType.TimestampTz, after.PlacedAt.UtcDateTime);
            command.Parameters.AddWithValue("afterOrder", after.OrderId);
        }
        command.CommandText = $"SELECT {Columns} FROM merchant_orders WHERE {where} ORDER BY placed_at DESC, order_id DESC LIMIT @limit";
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<MerchantOrderRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add(ReadRecord(reader).ToRow());
        return rows;
    }

    public async Task<IReadOnlyList<StatusCount>> CountAsync(string merchantId, MerchantOrderFilter filter, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand();
        var where = Where(command, merchantId, filter.WithoutStatus());
        command.CommandText = $"SELECT status, count(*)::int FROM merchant_orders WHERE {where} GROUP BY status ORDER BY status";
        var counts = new List<StatusCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) counts.Add(new StatusCount((OrderStatus)reader.GetInt16(0), reader.GetInt32(1)));
        return counts;
    }

    public async Task<MerchantOrderRow?> FindAsync(string merchantId, string orderId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM merchant_orders WHERE merchant_id = @merchant AND order_id = @order AND placed_at IS NOT NULL");
        command.Parameters.AddWithValue("merchant", merchantId);
        command.Parameters.AddWithValue("order", orderId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader).ToRow() : null;
    }

    /// <summary>The filter as SQL over bound parameters (no value is ever spliced into the text).</summary>
    private static string Where(NpgsqlCommand command, string merchantId, MerchantOrderFilter filter)
    {
        var where = "merchant_id = @merchant AND placed_at IS NOT NULL";
        command.Parameters.AddWithValue("merchant", merchantId);
        if (filter.Statuses.Count > 0)
        {
            where += " AND status = ANY(@statuses)";
            command.Parameters.Add(new NpgsqlParameter("statuses", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = filter.Statuses.Select(s => (short)s).ToArray() });
        }
        if (filter.RoomId is { } room)
        {
            where += " AND room_id = @room";
            command.Parameters.AddWithValue("room", room);
        }
        if (filter.ProductId is { } product)
        {
            where += " AND product_id = @product";
            command.Parameters.AddWithValue("product", product);
        }
        if (filter.PlacedFrom is { } from)
        {
            where += " AND placed_at >= @from";
            command.Parameters.AddWithValue("from", NpgsqlDbType.TimestampTz, from.UtcDateTime);
        }
        if (filter.PlacedTo is { } to)
        {
            where += " AND placed_at < @to";
            command.Parameters.AddWithValue("to", NpgsqlDbType.TimestampTz, to.UtcDateTime);
        }
        if (filter.AfterSale.Count > 0)
        {
            where += " AND after_sale = ANY(@afterSale)";
            command.Parameters.Add(new NpgsqlParameter("afterSale", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = filter.AfterSale.Select(s => (short)s).ToArray() });
        }
        return where;
    }

    private static MerchantOrderRecord ReadRecord(NpgsqlDataReader reader) => new()
    {
        MerchantId = reader.GetString(0),
        OrderId = reader.GetString(1),
        BuyerId = reader.GetString(2),
        RoomId = reader.GetString(3),
        StreamerId = reader.GetString(4),
        ProductId = reader.GetString(5),
        Quantity = reader.GetInt32(6),
        UnitPrice = reader.GetInt64(7),
        Amount = reader.GetInt64(8),
        Status = (OrderStatus)reader.GetInt16(9),
        PlacedAt = Time(reader, 10),
        PaidAt = Time(reader, 11),
        ShippedAt = Time(reader, 12),
        RefundedAmount = reader.GetInt64(13),
        RefundKeys = reader.IsDBNull(14) ? [] : [.. reader.GetFieldValue<string[]>(14)],
        AfterSale = (AfterSaleStatus)reader.GetInt16(15),
        AfterSaleAt = Time(reader, 16),
        ShippingAddress = reader.IsDBNull(17) ? null : JsonSerializer.Deserialize<ShippingAddress>(reader.GetString(17), Json),
        UpdatedAt = Time(reader, 18) ?? default,
    };

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(i), DateTimeKind.Utc));

    private static object? Utc(DateTimeOffset? at) => at?.UtcDateTime;

    private static NpgsqlParameter TextArray(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    private static NpgsqlParameter Array(string name, NpgsqlDbType type, IEnumerable<object?> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.Select(v => v ?? DBNull.Value).ToArray() };
}
