using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Buyers;

[GenerateSerializer]
public sealed class AddressBookState
{
    [Id(0)] public List<StoredAddress> Addresses { get; set; } = [];
    [Id(1)] public string? DefaultId { get; set; }
    [Id(2)] public int Sequence { get; set; }
}

[GenerateSerializer]
public sealed class StoredAddress
{
    [Id(0)] public string AddressId { get; set; } = "";
    [Id(1)] public ShippingAddress Address { get; set; } = null!;
    [Id(2)] public string RequestKey { get; set; } = "";
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A buyer's address book. Small (at most 20 addresses), so it is one grain state; every change is written before it
/// is acknowledged, and a refusal changes nothing.
/// </summary>
public sealed class AddressBookGrain(
    [PersistentState("addressBook", StorageNames.Rooms)] IPersistentState<AddressBookState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IAddressBookGrain
{
    private AddressBookState S => state.State;

    public Task<IReadOnlyList<AddressView>> List() =>
        Task.FromResult<IReadOnlyList<AddressView>>(S.Addresses.Select(View).ToList());

    public async Task<AddressView> Add(string requestKey, ShippingAddress address, bool makeDefault)
    {
        Ids.Require(requestKey, "requestKey");
        var valid = AddressRules.Validate(address);
        var replay = S.Addresses.FirstOrDefault(a => a.RequestKey == requestKey);
        if (replay is not null)
        {
            if (replay.Address == valid) return await Told(View(replay));
            throw DomainException.Conflict("idempotency.key_reused", "This Idempotency-Key already added another address.");
        }
        if (S.Addresses.Count >= AddressRules.MaxAddresses)
            throw DomainException.Conflict("address.book_full", $"An address book holds at most {AddressRules.MaxAddresses} addresses.", S.Addresses.Count.ToString());
        var stored = new StoredAddress { AddressId = "a" + (S.Sequence + 1), Address = valid, RequestKey = requestKey, UpdatedAt = clock.GetUtcNow() };
        S.Sequence++;
        S.Addresses.Add(stored);
        if (makeDefault || S.DefaultId is null) S.DefaultId = stored.AddressId;
        await state.WriteStateAsync();
        return await Told(View(stored));
    }

    public async Task<AddressView> Update(string addressId, ShippingAddress address)
    {
        var stored = Find(addressId);
        var valid = AddressRules.Validate(address);
        if (stored.Address == valid) return await Told(View(stored));
        stored.Address = valid;
        stored.UpdatedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        return await Told(View(stored));
    }

    public async Task<AddressView> SetDefault(string addressId)
    {
        var stored = Find(addressId);
        if (S.DefaultId == stored.AddressId) return await Told(View(stored));
        S.DefaultId = stored.AddressId;
        await state.WriteStateAsync();
        return await Told(View(stored));
    }

    public async Task Delete(string addressId)
    {
        var stored = Find(addressId);
        S.Addresses.Remove(stored);
        if (S.DefaultId == stored.AddressId) S.DefaultId = S.Addresses.MaxBy(a => a.UpdatedAt)?.AddressId;
        await state.WriteStateAsync();
        await Told(0);
    }

    public Task<ShippingAddress?> Resolve(string? addressId) =>
        Task.FromResult(addressId is not null ? Find(addressId).Address : DefaultAddress);

    public Task<ShippingAddress?> ShareDefault() => Told(DefaultAddress);

    private ShippingAddress? DefaultAddress => S.Addresses.FirstOrDefault(a => a.AddressId == S.DefaultId)?.Address;

    /// <summary>
    /// Tells the buyer grain the default after every change, repeats included: the book is written first, so a
    /// request retried after a failed tell still brings the buyer's copy up to date.
    /// </summary>
    private async Task<T> Told<T>(T answer)
    {
        await GrainFactory.Ref<IBuyerGrain>(this.GetPrimaryKeyString()).SetDefaultAddress(DefaultAddress);
        return answer;
    }

    private StoredAddress Find(string addressId)
    {
        Ids.Require(addressId, "addressId");
        return S.Addresses.FirstOrDefault(a => a.AddressId == addressId) ?? throw DomainException.NotFound("address", addressId);
    }

    private AddressView View(StoredAddress a) => new(a.AddressId, a.Address, a.AddressId == S.DefaultId, a.UpdatedAt);
}
