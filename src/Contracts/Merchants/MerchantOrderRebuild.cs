namespace LiveCommerce.Contracts.Merchants;

/// <summary>What one rebuild of a merchant's order list did.</summary>
[GenerateSerializer, Immutable]
public sealed record MerchantOrderRebuildResult(
    [property: Id(0)] string MerchantId,
    // Buyers whose order lists were read (every buyer in the directory).
    [property: Id(1)] int BuyersScanned,
    // The merchant's orders read from their grains (found through the buyers or through the stored rows).
    [property: Id(2)] int OrdersScanned,
    // Rows that hold their rebuilt value afterwards (whether or not they had it before).
    [property: Id(3)] int RowsWritten,
    // Rows that differed from their rebuilt value (missing, behind, or wrong) and were replaced.
    [property: Id(4)] int RowsChanged,
    // Rows of orders that do not exist (or belong to another merchant), removed.
    [property: Id(5)] int RowsRemoved,
    // Rows whose order kept changing during the rebuild, left to the live feed.
    [property: Id(6)] int RowsSkipped,
    [property: Id(7)] DateTimeOffset StartedAt,
    [property: Id(8)] DateTimeOffset FinishedAt);

/// <summary>
/// Rebuilds one merchant's order list (key: merchant id) from the orders' and after-sale cases' durable state, replacing
/// the projection's rows. Not reentrant: runs for one merchant are serialized; each is idempotent.
/// </summary>
public interface IMerchantOrderRebuildGrain : IGrainWithStringKey
{
    Task<MerchantOrderRebuildResult> Run();
}
