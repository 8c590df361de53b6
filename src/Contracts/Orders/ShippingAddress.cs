namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// Where an order's goods go: a snapshot taken from the buyer's address book at placement, so later edits of the
/// book never change an order already placed.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ShippingAddress(
    [property: Id(0)] string Recipient,
    [property: Id(1)] string Phone,
    [property: Id(2)] string Province,
    [property: Id(3)] string City,
    [property: Id(4)] string District,
    [property: Id(5)] string Detail,
    // Optional administrative division code (6 digits, GB/T 2260) when the client has one.
    [property: Id(6)] string? RegionCode = null)
{
    /// <summary>The same address with the phone masked (<c>138****5678</c>): what lists show.</summary>
    public ShippingAddress Masked() => this with { Phone = PhoneMask.Mask(Phone) };
}

/// <summary>Masks a phone number for lists: the first three and last four digits stay, the middle becomes stars.</summary>
public static class PhoneMask
{
    public static string Mask(string phone)
    {
        if (phone.Length <= 7) return new string('*', phone.Length);
        return string.Concat(phone.AsSpan(0, 3), new string('*', phone.Length - 7), phone.AsSpan(phone.Length - 4));
    }
}

/// <summary>Who sees how much of an order's address.</summary>
public static class AddressVisibility
{
    /// <summary>The merchant needs the full phone only to ship: for a paid order not yet shipped. Anywhere else it is masked.</summary>
    public static bool MerchantSeesFullPhone(OrderStatus status) => status == OrderStatus.Paid;

    /// <summary>The order as its merchant sees it in the single-order view.</summary>
    public static OrderView ForMerchant(OrderView order) =>
        MerchantSeesFullPhone(order.Status) ? order : order with { ShippingAddress = order.ShippingAddress?.Masked() };
}
