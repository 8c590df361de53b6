using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>A buyer's own shipping addresses. Only the buyer changes them; the buyer and admins read them.</summary>
public static class AddressEndpoints
{
    public sealed record AddressRequest(string? Recipient, string? Phone, string? Province, string? City, string? District, string? Detail,
        string? RegionCode, bool? IsDefault = null)
    {
        public ShippingAddress ToAddress() => new(Recipient ?? "", Phone ?? "", Province ?? "", City ?? "", District ?? "", Detail ?? "", RegionCode);
    }

    /// <summary>An address book is tiny; its requests are too.</summary>
    public const long MaxBodyBytes = 4 * 1024;

    public static void MapAddressEndpoints(this RouteGroupBuilder v1)
    {
        var addresses = v1.MapGroup("/buyers/{buyerId}/addresses").WithTags("Addresses");

        addresses.MapGet("/", async Task<Ok<IReadOnlyList<AddressView>>> (string buyerId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Book(http, grains, buyerId).List()))
            .RequireAuthorization("authenticated").Declares()
            .WithSummary("The buyer's shipping addresses, the default first (the buyer or an admin).");

        addresses.MapPost("/", async Task<Created<AddressView>> (string buyerId, AddressRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var key = http.RequireIdempotencyKey();
            var view = await Book(http, grains, buyerId).Add(key, body.ToAddress(), body.IsDefault ?? false);
            return TypedResults.Created($"/v1/buyers/{buyerId}/addresses/{view.AddressId}", view);
        }).RequireAuthorization(Roles.Buyer).WithBodyLimit(MaxBodyBytes).DeclaresIdempotencyKey().Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .WithSummary("Adds a shipping address, optionally as the default; the same Idempotency-Key adds it once (the buyer).");

        addresses.MapPut("/{addressId}", async Task<Ok<AddressView>> (string buyerId, string addressId, AddressRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var book = Book(http, grains, buyerId);
            var view = await book.Update(Ids.Require(addressId, "addressId"), body.ToAddress());
            if (body.IsDefault == true) view = await book.SetDefault(addressId);
            return TypedResults.Ok(view);
        }).RequireAuthorization(Roles.Buyer).WithBodyLimit(MaxBodyBytes).Declares(StatusCodes.Status400BadRequest)
          .WithSummary("Replaces a shipping address, optionally making it the default (the buyer).");

        addresses.MapPost("/{addressId}/default", async Task<Ok<AddressView>> (string buyerId, string addressId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Book(http, grains, buyerId).SetDefault(Ids.Require(addressId, "addressId"))))
            .RequireAuthorization(Roles.Buyer).Declares().WithSummary("Makes an address the buyer's default (the buyer).");

        addresses.MapDelete("/{addressId}", async Task<NoContent> (string buyerId, string addressId, HttpContext http, IGrainFactory grains) =>
        {
            await Book(http, grains, buyerId).Delete(Ids.Require(addressId, "addressId"));
            return TypedResults.NoContent();
        }).RequireAuthorization(Roles.Buyer).Declares().WithSummary("Deletes a shipping address; orders keep the copy they took (the buyer).");
    }

    private static IAddressBookGrain Book(HttpContext http, IGrainFactory grains, string buyerId)
    {
        http.User.EnsureActsAs(Party.Buyer, Ids.Require(buyerId, "buyerId"));
        return grains.Ref<IAddressBookGrain>(buyerId);
    }
}
