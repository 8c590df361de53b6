using System.Text.Json;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Grains.Orders;

/// <summary>
/// The seed is stored as JSON text on the stock line: readable by an operator in the database, and tolerant of
/// fields added later (missing ones take their defaults).
/// </summary>
public static class OrderSeedCodec
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write(OrderSeed seed) => JsonSerializer.Serialize(seed, Options);

    public static OrderSeed Read(string json) =>
        JsonSerializer.Deserialize<OrderSeed>(json, Options) ?? throw new InvalidDataException("An order seed is empty.");
}
