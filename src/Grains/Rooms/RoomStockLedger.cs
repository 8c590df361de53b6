using LiveCommerce.Grains.Common;
using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace LiveCommerce.Grains.Rooms;

public enum StockLineStatus : short { Reserved = 0, Sold = 1, Released = 2, Returned = 3 }

/// <summary>
/// One order's claim on a room's stock: reserved, then sold (paid), released (cancelled or expired) or returned. The
/// line is also the durable record of a placed order: <see cref="Seed"/> carries what the order knew when it was
/// placed, so an order whose own state was never written can be rebuilt from its line.
/// </summary>
public sealed record StockLine(string OrderId, string ProductId, string BuyerId, int Quantity, long UnitPrice, DateTimeOffset ExpiresAt,
    StockLineStatus Status, long Amount, DateTimeOffset PlacedAt = default, string? Seed = null);

/// <summary>A stock line found by order id, with the room it belongs to.</summary>
public sealed record RoomLine(string RoomId, StockLine Line);

/// <summary>What a room's closed lines add up to, per product.</summary>
public sealed record ProductTotals(string ProductId, int SoldUnits, long SoldAmount, int SoldOrders, long ReturnedAmount, int ReturnedOrders);

/// <param name="Version">The room's line-write version: the next write expects it (see <see cref="IRoomStockLedger.WriteAsync"/>).</param>
public sealed record RoomStockSnapshot(IReadOnlyList<StockLine> Open, IReadOnlyList<ProductTotals> Totals, long Version = 0);

/// <summary>
/// A room's stock lines, one row per order. The room keeps its open reservations in memory and writes only the lines
/// that changed (in coalesced batches), so a write costs what changed, not how many reservations are open; on
/// activation it reloads the open lines and the totals of the closed ones. A line's status also makes commit and
/// return idempotent: a retried commit finds the line already sold.
/// </summary>
public interface IRoomStockLedger
{
    Task<RoomStockSnapshot> LoadAsync(string roomId, CancellationToken cancellationToken = default);
    Task<StockLine?> FindAsync(string roomId, string orderId, CancellationToken cancellationToken = default);
    /// <summary>
    /// Writes the changed lines if the room's lines are still at <paramref name="expectedVersion"/> (what this
    /// activation loaded or last wrote) and moves them to the next version. Otherwise another activation of the room
    /// wrote since (possible while a silo hands its grains over): nothing is written and an
    /// <see cref="Orleans.Storage.InconsistentStateException"/> tells this one to reload.
    /// </summary>
    Task WriteAsync(string roomId, long expectedVersion, IReadOnlyCollection<StockLine> changes, CancellationToken cancellationToken = default);

    /// <summary>An order's line in whatever room it is (orders are keyed by id alone).</summary>
    Task<RoomLine?> FindByOrderAsync(string orderId, CancellationToken cancellationToken = default);

    /// <summary>A buyer's orders, newest first, and how many there are.</summary>
    Task<(IReadOnlyList<RoomLine> Lines, int Total)> ListByBuyerAsync(string buyerId, int offset, int limit, CancellationToken cancellationToken = default);
}

public sealed class InMemoryRoomStockLedger : IRoomStockLedger
{
    private readonly ConcurrentDictionary<(string Room, string Order), StockLine> _lines = new();
    // The two lookups the database answers with indexes: the room of an order, the orders of a buyer.
    private readonly ConcurrentDictionary<string, string> _roomOfOrder = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _ordersOfBuyer = new();
    private readonly Dictionary<string, long> _versions = [];

    public Task<RoomStockSnapshot> LoadAsync(string roomId, CancellationToken cancellationToken = default)
    {
        lock (_versions)
        {
            var mine = _lines.Where(l => l.Key.Room == roomId).Select(l => l.Value).ToList();
            return Task.FromResult(new RoomStockSnapshot(mine.Where(l => l.Status == StockLineStatus.Reserved).ToList(), RoomTotals.Of(mine),
                _versions.GetValueOrDefault(roomId)));
        }
    }

    public Task<StockLine?> FindAsync(string roomId, string orderId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_lines.TryGetValue((roomId, orderId), out var line) ? line : null);

    public Task WriteAsync(string roomId, long expectedVersion, IReadOnlyCollection<StockLine> changes, CancellationToken cancellationToken = default)
    {
        if (changes.Count == 0) return Task.CompletedTask;
        lock (_versions)
        {
            var stored = _versions.GetValueOrDefault(roomId);
            if (stored != expectedVersion) throw RoomStockConflict.Of(roomId, expectedVersion);
            _versions[roomId] = expectedVersion + 1;
            foreach (var line in changes)
            {
                var kept = _lines.TryGetValue((roomId, line.OrderId), out var before) && line.Seed is null ? line with { Seed = before.Seed } : line;
                _lines[(roomId, line.OrderId)] = kept;
                _roomOfOrder[line.OrderId] = roomId;
                _ordersOfBuyer.GetOrAdd(line.BuyerId, _ => new())[line.OrderId] = 0;
            }
        }
        return Task.CompletedTask;
    }

    public Task<RoomLine?> FindByOrderAsync(string orderId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_roomOfOrder.TryGetValue(orderId, out var room) && _lines.TryGetValue((room, orderId), out var line) ? new RoomLine(room, line) : null);

    public Task<(IReadOnlyList<RoomLine> Lines, int Total)> ListByBuyerAsync(string buyerId, int offset, int limit, CancellationToken cancellationToken = default)
    {
        var mine = _ordersOfBuyer.TryGetValue(buyerId, out var orders)
            ? orders.Keys.ToList().Select(o => new RoomLine(_roomOfOrder[o], _lines[(_roomOfOrder[o], o)]))
                .OrderByDescending(l => l.Line.PlacedAt).ThenByDescending(l => l.Line.OrderId, StringComparer.Ordinal).ToList()
            : [];
        return Task.FromResult<(IReadOnlyList<RoomLine>, int)>((mine.Skip(offset).Take(limit).ToList(), mine.Count));
    }
}

/// <summary>A line write refused because another activation of the room wrote since this one loaded.</summary>
public static class RoomStockConflict
{
    public static Orleans.Storage.InconsistentStateException Of(string roomId, long expectedVersion) =>
        new($"Room {roomId}'s stock lines were written by another activation since version {expectedVersion}; this one reloads.");
}

public static class RoomTotals
{
    public static IReadOnlyList<ProductTotals> Of(IEnumerable<StockLine> lines) =>
        lines.Where(l => l.Status is StockLineStatus.Sold or StockLineStatus.Returned)
            .GroupBy(l => l.ProductId)
            .Select(g => new ProductTotals(g.Key,
                g.Where(l => l.Status == StockLineStatus.Sold).Sum(l => l.Quantity),
                g.Sum(l => l.Amount), g.Count(),
                g.Where(l => l.Status == StockLineStatus.Returned).Sum(l => l.Amount),
                g.Count(l => l.Status == StockLineStatus.Returned)))
            .ToList();
}

/// <summary>Table <c>room_stock_lines</c> (deploy/postgres/120-livecommerce-room-stock.sql).</summary>
public sealed class PostgresRoomStockLedger(NpgsqlDataSource dataSource) : IRoomStockLedger
{
    public async Task<RoomStockSnapshot> LoadAsync(string roomId, CancellationToken cancellationToken = default)
    {
        // The version first: lines written after it was read make this activation's first write fail (it reloads);
        // read after the lines, it could name a write whose lines this activation never saw, and let it count stock
        // without them.
        long version;
        await using (var command = dataSource.CreateCommand("SELECT version FROM room_stock_versions WHERE room_id = @room"))
        {
            command.Parameters.AddWithValue("room", roomId);
            version = await command.ExecuteScalarAsync(cancellationToken) is long v ? v : 0;
        }
        var open = new List<StockLine>();
        await using (var command = dataSource.CreateCommand($"""
            SELECT {LineColumns}
            FROM room_stock_lines WHERE room_id = @room AND status = 0
            """))
        {
            command.Parameters.AddWithValue("room", roomId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) open.Add(Read(reader));
        }

        var totals = new List<ProductTotals>();
        await using (var command = dataSource.CreateCommand("""
            SELECT product_id,
                   coalesce(sum(quantity) FILTER (WHERE status = 1), 0)::int,
                   coalesce(sum(amount), 0)::bigint,
                   count(*)::int,
                   coalesce(sum(amount) FILTER (WHERE status = 3), 0)::bigint,
                   count(*) FILTER (WHERE status = 3)::int
            FROM room_stock_lines WHERE room_id = @room AND status IN (1, 3)
            GROUP BY product_id
            """))
        {
            command.Parameters.AddWithValue("room", roomId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                totals.Add(new ProductTotals(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt32(5)));
        }
        return new RoomStockSnapshot(open, totals, version);
    }

    public async Task<StockLine?> FindAsync(string roomId, string orderId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {LineColumns}
            FROM room_stock_lines WHERE room_id = @room AND order_id = @order
            """);
        command.Parameters.AddWithValue("room", roomId);
        command.Parameters.AddWithValue("order", orderId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task WriteAsync(string roomId, long expectedVersion, IReadOnlyCollection<StockLine> changes, CancellationToken cancellationToken = default)
    {
        if (changes.Count == 0) return;
        // One statement: the version moves only from the expected one, and the lines are written only if it moved.
        await using var command = dataSource.CreateCommand("""
            WITH moved AS (
                INSERT INTO room_stock_versions AS v (room_id, version) VALUES (@room, @version + 1)
                ON CONFLICT (room_id) DO UPDATE SET version = excluded.version WHERE v.version = @version
                RETURNING 1)
            INSERT INTO room_stock_lines (room_id, order_id, product_id, buyer_id, quantity, unit_price, expires_at, status, amount, placed_at, seed, updated_at)
            SELECT @room, o, p, b, q, u, e, s, a, pl, sd, now()
            FROM unnest(@orders, @products, @buyers, @quantities, @prices, @expires, @statuses, @amounts, @placed, @seeds) AS t(o, p, b, q, u, e, s, a, pl, sd)
            WHERE EXISTS (SELECT 1 FROM moved)
            ON CONFLICT (room_id, order_id) DO UPDATE SET
                product_id = excluded.product_id, buyer_id = excluded.buyer_id, quantity = excluded.quantity, unit_price = excluded.unit_price,
                expires_at = excluded.expires_at, status = excluded.status, amount = excluded.amount, placed_at = excluded.placed_at,
                seed = coalesce(excluded.seed, room_stock_lines.seed), updated_at = now()
            """);
        command.Parameters.AddWithValue("room", roomId);
        command.Parameters.Add(new NpgsqlParameter("orders", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changes.Select(c => c.OrderId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("products", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changes.Select(c => c.ProductId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("buyers", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changes.Select(c => c.BuyerId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("quantities", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = changes.Select(c => c.Quantity).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("prices", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = changes.Select(c => c.UnitPrice).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("expires", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = changes.Select(c => c.ExpiresAt.UtcDateTime).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("statuses", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = changes.Select(c => (short)c.Status).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("amounts", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = changes.Select(c => c.Amount).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("placed", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = changes.Select(c => c.PlacedAt.UtcDateTime).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("seeds", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = changes.Select(c => (object?)c.Seed ?? DBNull.Value).ToArray() });
        command.Parameters.AddWithValue("version", expectedVersion);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0) throw RoomStockConflict.Of(roomId, expectedVersion);
    }

    // Every new order looks its line up once (to know it is new); under load those lookups share round trips.
    private readonly BatchingLookup<string, RoomLine> _byOrder = new((ids, ct) => FindByOrdersAsync(dataSource, ids, ct));

    public Task<RoomLine?> FindByOrderAsync(string orderId, CancellationToken cancellationToken = default) => _byOrder.FindAsync(orderId);

    private static async Task<IReadOnlyDictionary<string, RoomLine>> FindByOrdersAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> orderIds,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {LineColumns}, room_id " +
            "FROM room_stock_lines WHERE order_id = ANY(@orders)");
        command.Parameters.Add(new NpgsqlParameter("orders", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = orderIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = new Dictionary<string, RoomLine>();
        while (await reader.ReadAsync(cancellationToken)) found[reader.GetString(0)] = new RoomLine(reader.GetString(10), Read(reader));
        return found;
    }

    public async Task<(IReadOnlyList<RoomLine> Lines, int Total)> ListByBuyerAsync(string buyerId, int offset, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        int total;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM room_stock_lines WHERE buyer_id = @buyer", connection))
        {
            count.Parameters.AddWithValue("buyer", buyerId);
            total = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        var lines = new List<RoomLine>();
        await using (var command = new NpgsqlCommand(
            $"SELECT {LineColumns}, room_id " +
            "FROM room_stock_lines WHERE buyer_id = @buyer ORDER BY placed_at DESC, order_id DESC OFFSET @offset LIMIT @limit", connection))
        {
            command.Parameters.AddWithValue("buyer", buyerId);
            command.Parameters.AddWithValue("offset", offset);
            command.Parameters.AddWithValue("limit", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) lines.Add(new RoomLine(reader.GetString(10), Read(reader)));
        }
        return (lines, total);
    }

    /// <summary>The columns <see cref="Read"/> expects, in its order.</summary>
    private const string LineColumns = "order_id, product_id, buyer_id, quantity, unit_price, expires_at, status, amount, placed_at, seed";

    private static StockLine Read(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.GetFieldValue<DateTimeOffset>(5), (StockLineStatus)r.GetInt16(6), r.GetInt64(7),
            r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9));
}
