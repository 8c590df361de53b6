using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Merchants;

/// <summary>
/// Rebuilds one merchant's order list from durable state (key: merchant id). The merchant's orders are found through
/// the buyer directory (each buyer's order list, narrowed to the merchant's products) and through the rows already
/// stored; each order and its after-sale cases are read and the row they imply (<see cref="MerchantOrderRebuild.RowOf"/>)
/// replaces the stored one. A stored row whose order does not exist, or is another merchant's, is removed. Not
/// reentrant, so runs for a merchant are serialized; a run replaces, never adds, so running it twice gives the same rows.
/// </summary>
public sealed class MerchantOrderRebuildGrain(
    IMerchantOrderStore store,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<MerchantOrderRebuildGrain> logger) : Grain, IMerchantOrderRebuildGrain
{
    /// <summary>Buyers per directory page, and rows per store write: what one step holds in memory.</summary>
    public const int PageSize = 500;
    /// <summary>Grain calls in flight at once.</summary>
    public const int Parallelism = 32;
    /// <summary>Times a row whose order moved during the run is read again before it is left to the live feed.</summary>
    public const int MovedRetries = 3;

    private const int ProductPage = 100;
    private const int BuyerOrderPage = 100;

    public async Task<MerchantOrderRebuildResult> Run()
    {
        var merchantId = this.GetPrimaryKeyString();
        var started = clock.GetUtcNow();
        var tally = new Tally();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        var products = await ProductsAsync(merchantId);
        if (products.Count > 0)
        {
            foreach (var shard in BuyerDirectory.AllShards)
            {
                var directory = GrainFactory.Ref<IBuyerDirectoryGrain>(shard);
                for (var offset = 0; ; offset += PageSize)
                {
                    var page = await directory.List(offset, PageSize);
                    tally.Buyers += page.BuyerIds.Count;
                    var ids = new List<string>();
                    foreach (var chunk in page.BuyerIds.Chunk(Parallelism))
                        foreach (var found in await Task.WhenAll(chunk.Select(b => BuyerOrderIdsAsync(b, products))))
                            ids.AddRange(found.Where(seen.Add));
                    foreach (var chunk in ids.Chunk(PageSize)) await RebuildAsync(merchantId, chunk, tally);
                    if (page.BuyerIds.Count < PageSize) break;
                }
            }
        }

        // Rows the directory did not lead to: an order of a product no longer indexed, or a row with no order behind it.
        var leftover = new List<string>();
        OrderListPosition? after = null;
        do
        {
            var rows = await store.ListAsync(merchantId, MerchantOrderFilter.None, after, PageSize);
            leftover.AddRange(rows.Select(r => r.OrderId).Where(seen.Add));
            after = rows.Count == PageSize ? new OrderListPosition(rows[^1].PlacedAt, rows[^1].OrderId) : null;
        } while (after is not null);
        foreach (var chunk in leftover.Chunk(PageSize)) await RebuildAsync(merchantId, chunk, tally);

        var result = new MerchantOrderRebuildResult(merchantId, tally.Buyers, tally.Orders, tally.Written, tally.Changed, tally.Removed,
            tally.Skipped, started, clock.GetUtcNow());
        logger.LogInformation("Merchant {MerchantId}: order list rebuilt: {Orders} orders, {Changed} rows changed, {Removed} removed, {Skipped} skipped",
            merchantId, result.OrdersScanned, result.RowsChanged, result.RowsRemoved, result.RowsSkipped);
        return result;
    }

    /// <summary>Reads the orders, replaces their rows; orders that moved meanwhile are read again, a few times.</summary>
    private async Task RebuildAsync(string merchantId, IReadOnlyList<string> orderIds, Tally tally)
    {
        var pending = orderIds;
        for (var attempt = 0; pending.Count > 0; attempt++)
        {
            var rows = new List<RebuiltRecord>();
            var removals = new List<string>();
            foreach (var chunk in pending.Chunk(Parallelism))
            {
                foreach (var (orderId, row) in await Task.WhenAll(chunk.Select(id => ReadAsync(merchantId, id))))
                {
                    if (row is null) removals.Add(orderId);
                    else rows.Add(row);
                }
            }
            if (attempt == 0) tally.Orders += rows.Count;
            var outcome = await store.ReplaceAsync(merchantId, rows, removals);
            tally.Written += outcome.Written;
            tally.Changed += outcome.Changed;
            tally.Removed += outcome.Removed;
            pending = outcome.Moved;
            if (attempt + 1 >= MovedRetries)
            {
                tally.Skipped += pending.Count;
                if (pending.Count > 0)
                    logger.LogWarning("Merchant {MerchantId}: {Count} orders kept changing during the order list rebuild; left to the live feed", merchantId, pending.Count);
                return;
            }
        }
    }

    /// <summary>The row an order implies; null when the order does not exist or is another merchant's (its row goes).</summary>
    private async Task<(string OrderId, RebuiltRecord? Row)> ReadAsync(string merchantId, string orderId)
    {
        var readAt = clock.GetUtcNow();
        OrderView order;
        try
        {
            order = await GrainFactory.Ref<IOrderGrain>(orderId).Get();
        }
        catch (DomainException e) when (e.Kind == ErrorKind.NotFound)
        {
            return (orderId, null);
        }
        if (order.MerchantId != merchantId) return (orderId, null);
        var cases = await Task.WhenAll((order.AfterSaleCaseIds ?? []).Select(CaseAsync));
        return (orderId, new RebuiltRecord(MerchantOrderRebuild.RowOf(order, cases.OfType<AfterSaleCaseView>().ToList()), readAt));
    }

    /// <summary>A case the order admitted but whose grain has not opened it yet (the order's outbox will) has no step to show.</summary>
    private async Task<AfterSaleCaseView?> CaseAsync(string caseId)
    {
        try
        {
            return await GrainFactory.Ref<IAfterSaleCaseGrain>(caseId).Get();
        }
        catch (DomainException e) when (e.Kind == ErrorKind.NotFound)
        {
            return null;
        }
    }

    private async Task<HashSet<string>> ProductsAsync(string merchantId)
    {
        var index = GrainFactory.Ref<IMerchantProductsGrain>(merchantId);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var offset = 0; ; offset += ProductPage)
        {
            var page = await index.List(offset, ProductPage);
            ids.UnionWith(page.Items.Select(p => p.ProductId));
            if (page.Items.Count < ProductPage) return ids;
        }
    }

    /// <summary>The buyer's orders of the merchant's products (by the buyer's own order list, which names the product).</summary>
    private async Task<List<string>> BuyerOrderIdsAsync(string buyerId, HashSet<string> products)
    {
        var buyer = GrainFactory.Ref<IBuyerGrain>(buyerId);
        var ids = new List<string>();
        for (var offset = 0; ; offset += BuyerOrderPage)
        {
            var page = await buyer.ListOrders(offset, BuyerOrderPage);
            ids.AddRange(page.Items.Where(i => products.Contains(i.ProductId)).Select(i => i.OrderId));
            if (page.Items.Count < BuyerOrderPage) return ids;
        }
    }

    private sealed class Tally
    {
        public int Buyers, Orders, Written, Changed, Removed, Skipped;
    }
}
