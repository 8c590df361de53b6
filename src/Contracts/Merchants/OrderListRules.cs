using System.Buffers.Text;
using System.Globalization;
using System.Text;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Merchants;

/// <summary>
/// Rules of the merchant order list: the opaque cursor, page and export bounds, and filter validation. Plain code,
/// so the front door and tests use the same rules without a silo.
/// </summary>
public static class OrderListRules
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    /// <summary>Most rows one CSV export returns; a larger result must be narrowed by its filters.</summary>
    public const int MaxExportRows = 10_000;
    /// <summary>Longest placed-time range a filter may span.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    private const string CursorVersion = "1";

    /// <summary>
    /// The cursor is the keyset position of the last row served, base64url-encoded with a version so its format can
    /// change; it names no page number, so rows inserted meanwhile never shift what the next page holds.
    /// </summary>
    public static string EncodeCursor(OrderListPosition position)
    {
        var text = string.Join('|', CursorVersion, position.PlacedAt.UtcTicks.ToString(CultureInfo.InvariantCulture), position.OrderId);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    public static OrderListPosition? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        if (cursor.Length > 200) throw BadCursor();
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            throw BadCursor();
        }
        var parts = Encoding.UTF8.GetString(bytes).Split('|');
        if (parts.Length != 3 || parts[0] != CursorVersion
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks || !Ids.IsValid(parts[2]))
            throw BadCursor();
        return new OrderListPosition(new DateTimeOffset(ticks, TimeSpan.Zero), parts[2]);
    }

    private static DomainException BadCursor() => DomainException.Invalid("cursor", "cursor is not one this list handed out.");

    public static int PageSize(int? limit)
    {
        var l = limit ?? DefaultPageSize;
        if (l is < 1 or > MaxPageSize) throw DomainException.Invalid("limit", $"limit must be between 1 and {MaxPageSize}.");
        return l;
    }

    /// <summary>Builds a filter from query-string values, naming the parameter at fault.</summary>
    public static MerchantOrderFilter Filter(string[]? statuses, string? roomId, string? productId, DateTimeOffset? placedFrom,
        DateTimeOffset? placedTo, string[]? afterSale)
    {
        var parsedStatuses = ParseAll<OrderStatus>(statuses, "status");
        var parsedAfterSale = ParseAll<AfterSaleStatus>(afterSale, "afterSale");
        if (roomId is not null) Ids.Require(roomId, "roomId");
        if (productId is not null) Ids.Require(productId, "productId");
        if (placedFrom is { } f && placedTo is { } t)
        {
            if (t <= f) throw DomainException.Invalid("placedTo", "placedTo must be after placedFrom.");
            if (t - f > MaxRange) throw DomainException.Invalid("placedTo", $"A time range spans at most {MaxRange.TotalDays:0} days.");
        }
        return new MerchantOrderFilter(parsedStatuses, roomId, productId, placedFrom?.ToUniversalTime(), placedTo?.ToUniversalTime(), parsedAfterSale);
    }

    /// <summary>Values may repeat the parameter or be comma-separated; names are the camelCase the API writes.</summary>
    private static IReadOnlyList<T> ParseAll<T>(string[]? values, string field) where T : struct, Enum
    {
        if (values is null || values.Length == 0) return [];
        var names = values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count > Enum.GetValues<T>().Length) throw DomainException.Invalid(field, $"{field} names too many values.");
        var result = new List<T>();
        foreach (var name in names)
        {
            // Names only: a number would parse too, and so would a name of no member.
            if (!Enum.TryParse<T>(name, ignoreCase: true, out var value) || !Enum.IsDefined(value) || char.IsDigit(name[0]))
                throw DomainException.Invalid(field, $"{field} '{Clip(name)}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(Camel))}.");
            if (!result.Contains(value)) result.Add(value);
        }
        return result;
    }

    private static string Clip(string value) => value.Length > 40 ? value[..40] : value;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
