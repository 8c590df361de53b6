using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Buyers;

/// <summary>What a shipping address must look like, and when an order needs one.</summary>
public static class AddressRules
{
    public const int MaxAddresses = 20;
    public const int MaxRecipient = 50;
    public const int MaxRegionPart = 30;
    public const int MaxDetail = 120;

    /// <summary>
    /// Checks every field (naming the first at fault) and returns the address trimmed. Phones are mainland numbers:
    /// a mobile (11 digits starting 13–19) or a landline with its area code (0 + 2–3 digits, optional '-', 7–8 digits).
    /// </summary>
    public static ShippingAddress Validate(ShippingAddress? address)
    {
        if (address is null) throw DomainException.Invalid("address", "address is required.");
        var recipient = Text.Require(address.Recipient, "recipient", MaxRecipient);
        var phone = (address.Phone ?? "").Trim();
        if (!IsPhone(phone)) throw DomainException.Invalid("phone", "phone must be a mainland mobile (13812345678) or a landline with area code (010-12345678).");
        var province = Text.Require(address.Province, "province", MaxRegionPart);
        var city = Text.Require(address.City, "city", MaxRegionPart);
        var district = Text.Require(address.District, "district", MaxRegionPart);
        var detail = Text.Require(address.Detail, "detail", MaxDetail);
        var region = string.IsNullOrWhiteSpace(address.RegionCode) ? null : address.RegionCode.Trim();
        if (region is not null && (region.Length != 6 || !region.All(char.IsAsciiDigit)))
            throw DomainException.Invalid("regionCode", "regionCode must be a 6-digit division code.");
        return new ShippingAddress(recipient, phone, province, city, district, detail, region);
    }

    public static bool IsPhone(string phone)
    {
        if (phone.Length == 11 && phone[0] == '1' && phone[1] is >= '3' and <= '9' && phone.All(char.IsAsciiDigit)) return true;
        var digits = phone.Replace("-", "");
        var dash = phone.IndexOf('-');
        if (phone.Count(c => c == '-') > 1 || (dash >= 0 && dash is not (3 or 4))) return false;
        return phone.Length > 0 && phone[0] == '0' && digits.All(char.IsAsciiDigit) && digits.Length is >= 10 and <= 12;
    }

    /// <summary>
    /// Virtual goods (top-ups, coupons, memberships) ship nothing: a product is virtual when its category is
    /// <c>virtual</c> or below it (<c>virtual/coupon</c>). Orders of other products need an address.
    /// </summary>
    public static bool IsVirtualCategory(string? category) =>
        category is not null && (category.Equals("virtual", StringComparison.OrdinalIgnoreCase)
            || category.StartsWith("virtual/", StringComparison.OrdinalIgnoreCase));
}
