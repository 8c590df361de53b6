using LiveCommerce.Grains.Common;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Rooms;

[GenerateSerializer]
public sealed class ProductState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string MerchantId { get; set; } = "";
    [Id(2)] public string Name { get; set; } = "";
    [Id(3)] public string Category { get; set; } = "";
    [Id(4)] public long ListPrice { get; set; }
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6)] public PriceHistory Prices { get; set; } = new();
    /// <summary>0 for products stored before versions existed; read as 1.</summary>
    [Id(7)] public long Version { get; set; }
    [Id(8)] public List<string> Images { get; set; } = [];
    [Id(9)] public bool OffSale { get; set; }
}

public sealed class ProductGrain(
    [PersistentState("product", StorageNames.Rooms)] IPersistentState<ProductState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IProductGrain
{
    public const long MaxPrice = 100_000_000_00; // 100 million yuan, in fen

    private string ProductId => this.GetPrimaryKeyString();

    public async Task<ProductView> Create(string merchantId, CreateProduct command)
    {
        Ids.Require(merchantId, "merchantId");
        var name = Text.Require(command.Name, "name", 200);
        var category = Text.Require(command.Category, "category", 50);
        RequirePrice(command.ListPrice, "listPrice");

        var s = state.State;
        if (s.Created)
        {
            if (s.MerchantId != merchantId) throw DomainException.Forbidden($"Product '{ProductId}' belongs to another merchant.");
            if (s.Name == name && s.Category == category && s.ListPrice == command.ListPrice)
            {
                // A retried create re-registers: the first may have failed after the product was written.
                await Index(merchantId).Register(ProductId);
                return View();
            }
            throw DomainException.Conflict("product.exists", $"Product '{ProductId}' already exists with other details; edit it with If-Match.",
                Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var now = clock.GetUtcNow();
        s.Created = true;
        s.MerchantId = merchantId;
        s.Name = name;
        s.Category = category;
        s.ListPrice = command.ListPrice;
        s.CreatedAt = now;
        s.Prices.Record(command.ListPrice, now);
        s.Version = 1;
        await state.WriteStateAsync();
        await Index(merchantId).Register(ProductId);
        return View();
    }

    public async Task<ProductView> Edit(string merchantId, EditProduct command, long expectedVersion)
    {
        var s = state.State;
        if (!s.Created) throw DomainException.NotFound("product", ProductId);
        if (s.MerchantId != merchantId) throw DomainException.Forbidden($"Product '{ProductId}' belongs to another merchant.");
        var name = Text.Require(command.Name, "name", CatalogueRules.MaxName);
        var category = Text.Require(command.Category, "category", CatalogueRules.MaxCategory);
        RequirePrice(command.ListPrice, "listPrice");
        var images = CatalogueRules.Images(command.Images);
        CatalogueRules.RequireVersion(expectedVersion, Version);

        var now = clock.GetUtcNow();
        // The list price is an observation of the price history like a shelf price: the price-deviation rule compares
        // live prices with the average of both, so a raised list price raises the bar a live price is measured against.
        if (command.ListPrice != s.ListPrice) s.Prices.Record(command.ListPrice, now);
        s.Name = name;
        s.Category = category;
        s.ListPrice = command.ListPrice;
        s.Images = [.. images];
        s.OffSale = !command.OnSale;
        s.Version = Version + 1;
        await state.WriteStateAsync();
        return View();
    }

    private long Version => Math.Max(1, state.State.Version);

    private IMerchantProductsGrain Index(string merchantId) => GrainFactory.Ref<IMerchantProductsGrain>(merchantId);

    public Task<ProductView> Get()
    {
        if (!state.State.Created) throw DomainException.NotFound("product", ProductId);
        return Task.FromResult(View());
    }

    public async Task<ProductView> RecordPrice(long unitPrice, DateTimeOffset at)
    {
        if (!state.State.Created) throw DomainException.NotFound("product", ProductId);
        RequirePrice(unitPrice, "price");
        var before = View();
        state.State.Prices.Record(unitPrice, at);
        await state.WriteStateAsync();
        return before;
    }

    public static void RequirePrice(long price, string field)
    {
        if (price <= 0) throw DomainException.Invalid(field, $"{field} must be a positive amount in fen.");
        if (price > MaxPrice) throw DomainException.Invalid(field, $"{field} must be at most {MaxPrice} fen.");
    }

    private ProductView View()
    {
        var s = state.State;
        var now = clock.GetUtcNow();
        return new ProductView(ProductId, s.MerchantId, s.Name, s.Category, s.ListPrice,
            s.Prices.Average(now) ?? s.ListPrice, s.Prices.Observations(now), s.CreatedAt, Version, s.Images.ToList(), !s.OffSale);
    }
}
