using System.Net.Sockets;
using LiveCommerce.Grains.Rooms;
using Npgsql;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// The in-memory ledger, except that one buyer's order list fails the way Npgsql fails when PostgreSQL refuses
/// connections (a transient <see cref="NpgsqlException"/> over a socket error).
/// </summary>
public sealed class UnreachableLedger(string failingBuyerId) : IRoomStockLedger
{
    private readonly InMemoryRoomStockLedger _inner = new();

    public Task<RoomStockSnapshot> LoadAsync(string roomId, CancellationToken cancellationToken = default) => _inner.LoadAsync(roomId, cancellationToken);
    public Task<StockLine?> FindAsync(string roomId, string orderId, CancellationToken cancellationToken = default) => _inner.FindAsync(roomId, orderId, cancellationToken);
    public Task WriteAsync(string roomId, long expectedVersion, IReadOnlyCollection<StockLine> changes, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(roomId, expectedVersion, changes, cancellationToken);
    public Task<RoomLine?> FindByOrderAsync(string orderId, CancellationToken cancellationToken = default) => _inner.FindByOrderAsync(orderId, cancellationToken);

    public Task<(IReadOnlyList<RoomLine> Lines, int Total)> ListByBuyerAsync(string buyerId, int offset, int limit, CancellationToken cancellationToken = default) =>
        buyerId == failingBuyerId
            ? throw new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused))
            : _inner.ListByBuyerAsync(buyerId, offset, limit, cancellationToken);
}
