using LiveCommerce.Contracts.Offers;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Offers;

[GenerateSerializer]
public sealed class MerchantOffersState
{
    /// <summary>Products the merchant published an offer for, sorted.</summary>
    [Id(0)] public List<string> ProductIds { get; set; } = [];
}

/// <summary>The index of a merchant's offers (key: merchant id); each offer's terms and rooms stay in its own grain.</summary>
/// <remarks>
/// Reentrant: a listing waits for the offers it reads, and an offer being published for the first time waits for
/// <see cref="Register"/>; without interleaving the two would wait for each other until the call timed out.
/// </remarks>
[Orleans.Concurrency.Reentrant]
public sealed class MerchantOffersGrain(
    [PersistentState("merchantOffers", StorageNames.Rooms)] IPersistentState<MerchantOffersState> state) : Grain, IMerchantOffersGrain
{
    public async Task Register(string productId)
    {
        Ids.Require(productId, "productId");
        if (SortedIds.Insert(state.State.ProductIds, productId)) await SortedIds.WriteOrReloadAsync(this, state);
    }

    public async Task<OfferPage> List(int offset, int limit)
    {
        var ids = state.State.ProductIds;
        var page = SortedIds.Page(ids, offset, limit);
        var offers = await Task.WhenAll(page.Select(id => GrainFactory.Ref<IDistributionOfferGrain>(id).Find()));
        // An id whose offer write failed after it was registered has no offer: skipped.
        return new OfferPage(offers.OfType<OfferView>().ToList(), ids.Count);
    }
}
