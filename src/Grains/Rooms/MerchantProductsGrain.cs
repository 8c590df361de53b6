using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Rooms;

[GenerateSerializer]
public sealed class MerchantProductsState
{
    /// <summary>The merchant's product ids, sorted (ordinal), so pages are stable.</summary>
    [Id(0)] public List<string> ProductIds { get; set; } = [];
}

/// <summary>
/// The index of a merchant's products (key: merchant id), written when a product is created. Reentrant for the same
/// reason as the offers index: a listing reads products while a product being created waits for its registration.
/// </summary>
[Orleans.Concurrency.Reentrant]
public sealed class MerchantProductsGrain(
    [PersistentState("merchantProducts", StorageNames.Rooms)] IPersistentState<MerchantProductsState> state) : Grain, IMerchantProductsGrain
{
    public async Task Register(string productId)
    {
        Ids.Require(productId, "productId");
        var ids = state.State.ProductIds;
        if (ids.Count >= CatalogueRules.MaxProductsPerMerchant && ids.BinarySearch(productId, StringComparer.Ordinal) < 0)
            throw DomainException.Conflict("catalogue.full", $"A merchant lists at most {CatalogueRules.MaxProductsPerMerchant} products.");
        if (SortedIds.Insert(ids, productId)) await SortedIds.WriteOrReloadAsync(this, state);
    }

    public async Task<ProductPage> List(int offset, int limit)
    {
        var ids = state.State.ProductIds;
        var page = SortedIds.Page(ids, offset, limit);
        var products = await Task.WhenAll(page.Select(id => GrainFactory.Ref<IProductGrain>(id).Get()));
        return new ProductPage(products, ids.Count);
    }
}
