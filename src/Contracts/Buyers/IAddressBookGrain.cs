using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Buyers;

/// <summary>A buyer's shipping addresses (key: buyer id), at most <see cref="AddressRules.MaxAddresses"/>, one of them the default.</summary>
public interface IAddressBookGrain : IGrainWithStringKey
{
    [Orleans.Concurrency.ReadOnly]
    Task<IReadOnlyList<AddressView>> List();

    /// <summary>Adds an address; the same request key again returns the address it added (a retried request adds nothing).</summary>
    Task<AddressView> Add(string requestKey, ShippingAddress address, bool makeDefault);

    Task<AddressView> Update(string addressId, ShippingAddress address);

    Task<AddressView> SetDefault(string addressId);

    /// <summary>Removes the address; when it was the default, the most recently changed remaining one becomes the default.</summary>
    Task Delete(string addressId);

    /// <summary>The address an order snapshots: the one named (404 when the book has none such), else the default (null when the book is empty).</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ShippingAddress?> Resolve(string? addressId);

    /// <summary>The default address, also told to the buyer grain: for buyers stored before the buyer kept a copy.</summary>
    Task<ShippingAddress?> ShareDefault();
}

[GenerateSerializer, Immutable]
public sealed record AddressView(
    [property: Id(0)] string AddressId,
    [property: Id(1)] ShippingAddress Address,
    [property: Id(2)] bool IsDefault,
    [property: Id(3)] DateTimeOffset UpdatedAt);
