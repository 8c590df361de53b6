using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Contracts.Offers;

public enum OfferStatus { Published = 0, Withdrawn = 1 }

/// <summary>
/// A merchant's distribution offer for one of its products (key: the product id): the commission the selling side
/// (streamer and distributors) shares, the smallest share the seller keeps, and which streamers may sell it. A streamer
/// can put the product on a shelf only through <see cref="AdmitListing"/>, which derives the split plan from the offer
/// and the platform's policy. The offer remembers the rooms it admitted and tells them, durably, when they must stop.
/// </summary>
public interface IDistributionOfferGrain : IGrainWithStringKey
{
    /// <summary>Publishes or changes the offer; only the product's merchant may. The same terms again are a no-op.</summary>
    Task<OfferView> Publish(string merchantId, PublishOffer command);

    /// <summary>Withdraws the offer: every room that listed it stops taking new orders for it. Idempotent.</summary>
    Task<OfferView> Withdraw(string merchantId);

    /// <summary>The offer; not found when it was never published.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<OfferView> Get();

    /// <summary>The offer, or null when it was never published.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<OfferView?> Find();

    /// <summary>
    /// A room asks to list the product for its streamer. Refused when there is no offer (409 <c>offer.none</c>), it was
    /// withdrawn (409 <c>offer.withdrawn</c>) or it is not open to the streamer (403 <c>offer.not_open</c>); otherwise the
    /// room is recorded and gets the split plan derived from the offer (the requested selling shares, if any, validated).
    /// </summary>
    Task<OfferAdmission> AdmitListing(ListingRequest request);
}

/// <summary>The merchant's offers, by product id (key: the merchant id).</summary>
public interface IMerchantOffersGrain : IGrainWithStringKey
{
    /// <summary>Remembers that the merchant has an offer for the product (idempotent); called before the offer is first written.</summary>
    Task Register(string productId);

    /// <summary>The merchant's offers with the rooms that listed them, by product id.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<OfferPage> List(int offset, int limit);
}

[GenerateSerializer, Immutable]
public sealed record PublishOffer(
    [property: Id(0)] int CommissionBasisPoints,
    [property: Id(1)] int SellerFloorBasisPoints,
    [property: Id(2)] bool OpenToAll,
    [property: Id(3)] IReadOnlyList<string> StreamerIds);

[GenerateSerializer, Immutable]
public sealed record ListingRequest(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    // Shares the streamer asks for; only streamer and distributor shares dividing the commission (seller and platform
    // shares, when present, must be exactly what the offer and policy give). Null: the whole commission to the streamer.
    [property: Id(2)] SplitPlan? RequestedShares);

[GenerateSerializer, Immutable]
public sealed record OfferAdmission(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] long OfferVersion,
    [property: Id(2)] SplitPlan SplitPlan);

[GenerateSerializer, Immutable]
public sealed record OfferRoomView(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] long OfferVersion,
    [property: Id(3)] DateTimeOffset ListedAt,
    // False once the room was told to stop (withdrawal, or terms changed after it listed).
    [property: Id(4)] bool Selling,
    [property: Id(5)] bool StopDelivered);

[GenerateSerializer, Immutable]
public sealed record OfferView(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] OfferStatus Status,
    [property: Id(3)] long Version,
    [property: Id(4)] int CommissionBasisPoints,
    [property: Id(5)] int SellerFloorBasisPoints,
    [property: Id(6)] bool OpenToAll,
    [property: Id(7)] IReadOnlyList<string> StreamerIds,
    [property: Id(8)] DateTimeOffset PublishedAt,
    [property: Id(9)] DateTimeOffset? WithdrawnAt,
    [property: Id(10)] IReadOnlyList<OfferRoomView> Rooms);

[GenerateSerializer, Immutable]
public sealed record OfferPage(
    [property: Id(0)] IReadOnlyList<OfferView> Items,
    [property: Id(1)] int Total);
