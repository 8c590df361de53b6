using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace LiveCommerce.Api.Endpoints;

public static class ProductEndpoints
{
    public sealed record CreateProductRequest(string? Name, string? Category, long? ListPrice, IReadOnlyList<string>? Images = null, bool? OnSale = null);

    public static void MapProductEndpoints(this RouteGroupBuilder v1)
    {
        var products = v1.MapGroup("/products").WithTags("Products");

        // A merchant creates its products (id chosen by the merchant, like a SKU); the same request again is a no-op.
        // With If-Match (the ETag of a version) it replaces the editable part of an existing product; a stale version is
        // a 409 naming the current one.
        products.MapPut("/{productId}", async Task<Ok<ProductView>> (string productId, CreateProductRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(productId, "productId");
            var product = grains.Ref<IProductGrain>(productId);
            var ifMatch = http.Request.Headers.IfMatch.ToString();
            ProductView view;
            if (ifMatch.Length == 0)
            {
                if (body.Images is { Count: > 0 } || body.OnSale == false)
                    throw DomainException.Invalid("If-Match", "Images and sale status are set by an edit: send If-Match with the product's ETag.");
                view = await product.Create(http.User.Subject(),
                    new CreateProduct(body.Name ?? "", body.Category ?? "", RequestHelpers.Require(body.ListPrice, "listPrice")));
            }
            else
            {
                var version = CatalogueRules.ParseETag(ifMatch) ?? throw DomainException.Invalid("If-Match", "If-Match must be one ETag this API handed out, e.g. \"3\".");
                view = await product.Edit(http.User.Subject(), new EditProduct(body.Name ?? "", body.Category ?? "",
                    RequestHelpers.Require(body.ListPrice, "listPrice"), body.Images ?? [], body.OnSale ?? true), version);
            }
            http.Response.Headers.ETag = CatalogueRules.ETag(view.Version);
            return TypedResults.Ok(view);
        }).RequireAuthorization(Roles.Merchant).Declares(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
          .DeclaresResponseHeader(StatusCodes.Status200OK, "ETag", "The product's version, for If-Match on the next edit.")
          .WithSummary("Creates the merchant's product under its own id, or with If-Match replaces its editable part; answers the ETag (the merchant).");

        products.MapGet("/{productId}", async Task<Ok<ProductView>> (string productId, HttpContext http, IGrainFactory grains) =>
        {
            var view = await grains.Ref<IProductGrain>(Ids.Require(productId, "productId")).Get();
            http.Response.Headers.ETag = CatalogueRules.ETag(view.Version);
            return TypedResults.Ok(view);
        }).RequireAuthorization("authenticated").Declares()
          .DeclaresResponseHeader(StatusCodes.Status200OK, "ETag", "The product's version, for If-Match on the next edit.")
          .WithSummary("A product and its ETag (any signed-in caller).");

        // The merchant's own catalogue, by product id.
        v1.MapGet("/merchants/{merchantId}/products", async Task<Ok<ProductPage>> (string merchantId, int? offset, int? limit, HttpContext http, IGrainFactory grains) =>
        {
            http.User.EnsureActsAs(Party.Merchant, Ids.Require(merchantId, "merchantId"));
            var (o, l) = RequestHelpers.Paging(offset, limit);
            return TypedResults.Ok(await grains.Ref<IMerchantProductsGrain>(merchantId).List(o, l));
        }).WithTags("Products").RequireAuthorization("authenticated").Declares(StatusCodes.Status400BadRequest)
          .WithSummary("One page of the merchant's products by product id (the merchant or an admin).");
    }
}
