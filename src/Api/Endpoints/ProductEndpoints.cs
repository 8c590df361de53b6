using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Endpoints;

public static class ProductEndpoints
{
    public sealed record CreateProductRequest(string? Name, string? Category, long? ListPrice);

    public static void MapProductEndpoints(this RouteGroupBuilder v1)
    {
        var products = v1.MapGroup("/products").WithTags("Products");

        // A merchant creates its products (id chosen by the merchant, like a SKU); the same request again is a no-op.
        products.MapPut("/{productId}", async (string productId, CreateProductRequest body, HttpContext http, IGrainFactory grains) =>
        {
            Ids.Require(productId, "productId");
            var view = await grains.Ref<IProductGrain>(productId).Create(http.User.Subject(),
                new CreateProduct(body.Name ?? "", body.Category ?? "", RequestHelpers.Require(body.ListPrice, "listPrice")));
            return Results.Ok(view);
        }).RequireAuthorization(Roles.Merchant);

        products.MapGet("/{productId}", async (string productId, IGrainFactory grains) =>
            Results.Ok(await grains.Ref<IProductGrain>(Ids.Require(productId, "productId")).Get()))
            .RequireAuthorization("authenticated");
    }
}
