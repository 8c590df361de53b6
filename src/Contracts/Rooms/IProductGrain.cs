using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Contracts.Rooms;

/// <summary>A merchant's product: category, list price and the history of prices it was offered at.</summary>
public interface IProductGrain : IGrainWithStringKey
{
    /// <summary>Creates the product for <paramref name="merchantId"/>; the same request again is a no-op.</summary>
    Task<ProductView> Create(string merchantId, CreateProduct command);

    /// <summary>The product; not found when it was never created.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ProductView> Get();

    /// <summary>
    /// Edits the product (title, category, list price, images, on/off sale) if its version is still
    /// <paramref name="expectedVersion"/>; otherwise a 409 naming the current version. A new list price is recorded in the
    /// price history like a shelf price.
    /// </summary>
    Task<ProductView> Edit(string merchantId, EditProduct command, long expectedVersion);

    /// <summary>Records a price the product is offered at; returns the product as it was before (its historical average excludes this price).</summary>
    Task<ProductView> RecordPrice(long unitPrice, DateTimeOffset at);
}

[GenerateSerializer, Immutable]
public sealed record CreateProduct(
    [property: Id(0)] string Name,
    [property: Id(1)] string Category,
    [property: Id(2)] long ListPrice);

[GenerateSerializer, Immutable]
public sealed record ProductView(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Category,
    [property: Id(4)] long ListPrice,
    // Mean of the prices recorded in the history window, in fen; the list price while there is no history.
    [property: Id(5)] long HistoricalAveragePrice,
    [property: Id(6)] int PriceObservations,
    [property: Id(7)] DateTimeOffset CreatedAt,
    // Bumped by every edit: the ETag of optimistic concurrency (If-Match).
    [property: Id(8)] long Version = 1,
    [property: Id(9)] IReadOnlyList<string>? Images = null,
    [property: Id(10)] bool OnSale = true);

/// <summary>The whole editable part of a product (a replacement, not a patch).</summary>
[GenerateSerializer, Immutable]
public sealed record EditProduct(
    [property: Id(0)] string Name,
    [property: Id(1)] string Category,
    [property: Id(2)] long ListPrice,
    [property: Id(3)] IReadOnlyList<string> Images,
    [property: Id(4)] bool OnSale);

/// <summary>The index of a merchant's products (key: merchant id); each product's details stay in its own grain.</summary>
public interface IMerchantProductsGrain : IGrainWithStringKey
{
    Task Register(string productId);

    Task<ProductPage> List(int offset, int limit);
}

[GenerateSerializer, Immutable]
public sealed record ProductPage([property: Id(0)] IReadOnlyList<ProductView> Items, [property: Id(1)] int Total);

/// <summary>Rules of the merchant catalogue, plain code.</summary>
public static class CatalogueRules
{
    public const int MaxName = 200;
    public const int MaxCategory = 50;
    public const int MaxImages = 9;
    public const int MaxImageUrl = 500;
    public const int MaxProductsPerMerchant = 10_000;

    /// <summary>Images are absolute https URLs (the client uploads them elsewhere), at most nine.</summary>
    public static IReadOnlyList<string> Images(IReadOnlyList<string>? images)
    {
        images ??= [];
        if (images.Count > MaxImages) throw DomainException.Invalid("images", $"images holds at most {MaxImages} URLs.");
        foreach (var url in images)
        {
            if (string.IsNullOrEmpty(url) || url.Length > MaxImageUrl || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
                throw DomainException.Invalid("images", $"each image must be an absolute https URL of at most {MaxImageUrl} characters.");
        }
        return images.ToList();
    }

    /// <summary>A stale edit changes nothing and tells the caller the version to re-read.</summary>
    public static void RequireVersion(long expected, long current)
    {
        if (expected != current)
            throw DomainException.Conflict("product.version_mismatch",
                $"The product is at version {current}, not {expected}: read it again and re-apply the edit.", current.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>ETag of a version (strong, quoted) and back; null for a header that is no version of ours.</summary>
    public static string ETag(long version) => "\"" + version.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"";

    public static long? ParseETag(string? header)
    {
        if (header is null || header.Length < 3 || header[0] != '"' || header[^1] != '"') return null;
        return long.TryParse(header.AsSpan(1, header.Length - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
    }
}
