using LiveCommerce.Contracts;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;
using Orleans.Runtime;

namespace LiveCommerce.Tests.Grains;

/// <summary><see cref="GrainReferences.Ref{TGrain}"/> must address exactly the grain that GetGrain addresses.</summary>
public sealed class GrainReferencesTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_cached_reference_addresses_the_same_grain_as_GetGrain()
    {
        var key = "ref-buyer-" + Guid.NewGuid().ToString("N");
        var viaRef = fixture.Client.Ref<IBuyerGrain>(key);
        var viaGetGrain = fixture.Client.GetGrain<IBuyerGrain>(key);
        Assert.Equal(((GrainReference)viaGetGrain).GrainId, ((GrainReference)viaRef).GrainId);
        Assert.Equal(((GrainReference)viaGetGrain).InterfaceType, ((GrainReference)viaRef).InterfaceType);

        // Second and later references take the cached path; they reach the activation the first one created.
        await viaRef.Register(new RegisterBuyer("Chengdu", null));
        Assert.Equal("Chengdu", (await fixture.Client.Ref<IBuyerGrain>(key).Get()).City);
        Assert.Equal("Chengdu", (await viaGetGrain.Get()).City);
    }

    [Fact]
    public void Each_interface_keeps_its_own_grain_type_and_blank_keys_are_refused()
    {
        var buyer = (GrainReference)(object)fixture.Client.Ref<IBuyerGrain>("same-key");
        var product = (GrainReference)(object)fixture.Client.Ref<IProductGrain>("same-key");
        Assert.Equal(((GrainReference)fixture.Client.GetGrain<IProductGrain>("same-key")).GrainId, product.GrainId);
        Assert.NotEqual(buyer.GrainId.Type, product.GrainId.Type);
        Assert.Throws<ArgumentException>(() => fixture.Client.Ref<IBuyerGrain>(" "));
    }
}
