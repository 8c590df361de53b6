namespace LiveCommerce.Contracts.Rooms;

/// <summary>A merchant's product: category, list price and the history of prices it was offered at.</summary>
public interface IProductGrain : IGrainWithStringKey
{
    /// <summary>Creates the product for <paramref name="merchantId"/>; the same request again is a no-op.</summary>
    Task<ProductView> Create(string merchantId, CreateProduct command);

    /// <summary>The product; not found when it was never created.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ProductView> Get();

    /// <summary>Records a price the product is offered at; returns the product as it was before (its historical average excludes this price).</summary>
    Task<ProductView> RecordPrice(long unitPrice, DateTimeOffset at);
}

[GenerateSerializer, Immutable]
public sealed record CreateProduct(
    [property: Id(0)] string Name,
    [property: Id(1)] string Category,
    [property: Id(2)] long ListPrice);

[GenerateSerializer, Immutable]
public sealed record ProductView(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Category,
    [property: Id(4)] long ListPrice,
    // Mean of the prices recorded in the history window, in fen; the list price while there is no history.
    [property: Id(5)] long HistoricalAveragePrice,
    [property: Id(6)] int PriceObservations,
    [property: Id(7)] DateTimeOffset CreatedAt);
