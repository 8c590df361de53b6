using System.Security.Claims;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Api.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// Merchant distribution offers (the brand track of "brand account + influencer distribution"): a merchant publishes
/// an offer for its product, streamers list the product under it, the merchant sees which rooms sell it and can
/// withdraw it, which stops new orders in every room that listed it.
/// </summary>
public static class OfferEndpoints
{
    /// <summary>An offer's terms as any signed-in caller sees them, and whether it is open to the caller.</summary>
    public sealed record OfferTerms(string ProductId, string MerchantId, OfferStatus Status, long Version, int CommissionBasisPoints,
        int SellerFloorBasisPoints, bool OpenToAll, bool OpenToMe);

    public sealed record OfferRequest(int? CommissionBasisPoints, int? SellerFloorBasisPoints, bool? OpenToAll = null, IReadOnlyList<string>? StreamerIds = null);

    public static void MapOfferEndpoints(this RouteGroupBuilder v1)
    {
        var offers = v1.MapGroup("/merchants/{merchantId}/offers").WithTags("Offers");

        offers.MapPut("/{productId}", async Task<Ok<OfferView>> (string merchantId, string productId, OfferRequest body, HttpContext http, IGrainFactory grains) =>
        {
            // Consent is the merchant's own: an admin cannot publish terms for it.
            var merchant = ActingMerchant(http.User, merchantId, adminMay: false);
            var command = new PublishOffer(RequestHelpers.Require(body.CommissionBasisPoints, "commissionBasisPoints"),
                RequestHelpers.Require(body.SellerFloorBasisPoints, "sellerFloorBasisPoints"), body.OpenToAll ?? false, body.StreamerIds ?? []);
            return TypedResults.Ok(await Offer(grains, productId).Publish(merchant, command));
        }).RequireAuthorization("authenticated").AllowApps(AppScopes.SplitsWrite).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Publishes or changes the distribution offer for the merchant's product: commission, seller floor, which streamers may list it (the merchant or its app with splits.write).");

        // Withdrawing stops new orders in every room that listed the product; orders already placed keep their plan.
        // An admin may take an offer down for the merchant.
        offers.MapDelete("/{productId}", async Task<Ok<OfferView>> (string merchantId, string productId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Offer(grains, productId).Withdraw(ActingMerchant(http.User, merchantId, adminMay: true))))
            .RequireAuthorization("authenticated").AllowApps(AppScopes.SplitsWrite).Declares(StatusCodes.Status409Conflict)
            .WithSummary("Withdraws the offer, which stops new orders in every room that listed the product (the merchant, its app with splits.write, or an admin).");

        offers.MapGet("/{productId}", async Task<Ok<OfferView>> (string merchantId, string productId, HttpContext http, IGrainFactory grains) =>
        {
            var merchant = ActingMerchant(http.User, merchantId, adminMay: true);
            var offer = await Offer(grains, productId).Get();
            return offer.MerchantId == merchant ? TypedResults.Ok(offer) : throw DomainException.NotFound("offer", productId);
        }).RequireAuthorization("authenticated").Declares()
          .WithSummary("The merchant's offer for a product with its streamers and the rooms that listed it (the merchant or an admin).");

        // The merchant's offers, each with the rooms that listed it.
        offers.MapGet("/", async Task<Ok<OfferPage>> (string merchantId, int? offset, int? limit, HttpContext http, IGrainFactory grains) =>
        {
            var merchant = ActingMerchant(http.User, merchantId, adminMay: true);
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return TypedResults.Ok(await grains.Ref<IMerchantOffersGrain>(merchant).List(o, l));
        }).RequireAuthorization("authenticated").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("One page of the merchant's offers, each with the rooms that listed it (the merchant or an admin).");

        // What a streamer needs to choose a product (选品): the terms, whether the offer is open to the caller; not the
        // merchant's list of streamers or rooms.
        v1.MapGet("/products/{productId}/offer", async Task<Ok<OfferTerms>> (string productId, HttpContext http, IGrainFactory grains) =>
        {
            var offer = await Offer(grains, productId).Get();
            var me = http.User.Subject();
            return TypedResults.Ok(new OfferTerms(offer.ProductId, offer.MerchantId, offer.Status, offer.Version, offer.CommissionBasisPoints,
                offer.SellerFloorBasisPoints, offer.OpenToAll, offer.Status == OfferStatus.Published && (offer.OpenToAll || offer.StreamerIds.Contains(me))));
        }).WithTags("Offers").RequireAuthorization("authenticated").Declares()
          .WithSummary("A product's offer terms and whether the caller may list it, for a streamer choosing products (any signed-in caller).");
    }

    /// <summary>
    /// Offer routes act as the merchant (role and subject, <see cref="Access"/>); the product grain checks the product
    /// is that merchant's. Publishing is the merchant's own act; admins may only withdraw and read.
    /// </summary>
    private static string ActingMerchant(ClaimsPrincipal user, string merchantId, bool adminMay)
    {
        Ids.Require(merchantId, "merchantId");
        if (!adminMay && !user.Is(Party.Merchant, merchantId)) throw DomainException.Forbidden("Only the merchant may do this.");
        user.EnsureActsAs(Party.Merchant, merchantId);
        return merchantId;
    }

    private static IDistributionOfferGrain Offer(IGrainFactory grains, string productId) =>
        grains.Ref<IDistributionOfferGrain>(Ids.Require(productId, "productId"));
}
