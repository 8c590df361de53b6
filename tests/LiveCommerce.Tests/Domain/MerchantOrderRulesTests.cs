using LiveCommerce.Contracts.Buyers;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Merchants;

namespace LiveCommerce.Tests.Domain;

/// <summary>The merchant order list's rules without a silo: projection folding, cursor, filters, addresses, masking.</summary>
public sealed class MerchantOrderRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);
    private static readonly ShippingAddress Home = new("Li Lei", "13812345678", "Zhejiang", "Hangzhou", "Xihu", "1 West Lake Road");

    public static OrderEvent Event(OrderEventKind kind, string orderId = "o1", long amount = 10_000, long refund = 0, int minutes = 0,
        string merchant = "m1", DateTimeOffset? placedAt = null) =>
        new(kind, orderId, "b1", "Hangzhou", "r1", "Hangzhou", "s1", merchant, "p1", "beauty", 2, amount / 2, amount, amount, refund,
            T0.AddMinutes(minutes), placedAt ?? T0, false, Home);

    private static MerchantOrderRecord Fold(params DomainEvent[] events) =>
        events.Aggregate((MerchantOrderRecord?)null, MerchantOrderProjection.Apply)!;

    [Fact]
    public void A_status_only_moves_forward_whatever_order_the_events_arrive_in()
    {
        var inOrder = Fold(Event(OrderEventKind.Placed), Event(OrderEventKind.Paid, minutes: 1), Event(OrderEventKind.Shipped, minutes: 2));
        var shuffled = Fold(Event(OrderEventKind.Shipped, minutes: 2), Event(OrderEventKind.Placed), Event(OrderEventKind.Paid, minutes: 1));
        Assert.Equal(OrderStatus.Shipped, inOrder.Status);
        Assert.Equal(OrderStatus.Shipped, shuffled.Status);
        Assert.Equal(inOrder.ToRow(), shuffled.ToRow());
        Assert.Equal(T0.AddMinutes(1), shuffled.PaidAt);
        Assert.Equal(T0.AddMinutes(2), shuffled.UpdatedAt);
        Assert.Equal(Home, shuffled.ShippingAddress);
    }

    [Fact]
    public void A_redelivered_refund_counts_once_and_a_full_refund_ends_the_order_refunded()
    {
        var partial = Event(OrderEventKind.Refunded, refund: 4_000, minutes: 5);
        var record = Fold(Event(OrderEventKind.Paid, minutes: 1), partial, partial);
        Assert.Equal(4_000, record.RefundedAmount);
        Assert.Equal(OrderStatus.Paid, record.Status);

        record = Fold(Event(OrderEventKind.Paid, minutes: 1), partial, Event(OrderEventKind.Refunded, refund: 6_000, minutes: 6), partial);
        Assert.Equal(10_000, record.RefundedAmount);
        Assert.Equal(OrderStatus.Refunded, record.Status);
        // A late "paid" cannot bring a refunded order back.
        Assert.Equal(OrderStatus.Refunded, MerchantOrderProjection.Apply(record, Event(OrderEventKind.Paid, minutes: 1)).Status);
    }

    [Fact]
    public void The_newest_after_sale_step_wins_and_a_case_that_overtakes_the_order_is_kept_unlisted_until_the_order_arrives()
    {
        AfterSaleCaseChanged Case(AfterSaleStatus status, int minutes) =>
            new("c1", "o1", "b1", "m1", "s1", "r1", "p1", AfterSaleKind.RefundOnly, status, "damaged", 1_000, 0, false, T0.AddMinutes(minutes));

        var early = Fold(Case(AfterSaleStatus.Rejected, 20), Case(AfterSaleStatus.AwaitingMerchant, 10));
        Assert.False(early.Listed);
        Assert.Equal(AfterSaleStatus.Rejected, early.AfterSale);

        var record = MerchantOrderProjection.Apply(early, Event(OrderEventKind.Paid, minutes: 1));
        Assert.True(record.Listed);
        Assert.Equal((OrderStatus.Paid, AfterSaleStatus.Rejected), (record.Status, record.AfterSale));
        Assert.Equal(AfterSaleStatus.InArbitration, MerchantOrderProjection.Apply(record, Case(AfterSaleStatus.InArbitration, 30)).AfterSale);
    }

    [Fact]
    public void Applying_never_mutates_the_record_it_was_given()
    {
        var before = Fold(Event(OrderEventKind.Paid, minutes: 1));
        var snapshot = before.ToRow();
        _ = MerchantOrderProjection.Apply(before, Event(OrderEventKind.Refunded, refund: 10_000, minutes: 3));
        Assert.Equal(snapshot, before.ToRow());
        Assert.Empty(before.RefundKeys);
    }

    [Fact]
    public void A_cursor_round_trips_and_anything_else_is_a_400_on_the_cursor()
    {
        var position = new OrderListPosition(T0.AddTicks(1234567), "o-42:x");
        Assert.Equal(position, OrderListRules.DecodeCursor(OrderListRules.EncodeCursor(position)));
        Assert.Null(OrderListRules.DecodeCursor(null));
        foreach (var bad in new[] { "not base64!", "bm9wZQ", OrderListRules.EncodeCursor(position).ToUpperInvariant(), new string('A', 300) })
        {
            var e = Assert.Throws<DomainException>(() => OrderListRules.DecodeCursor(bad));
            Assert.Equal("cursor", e.Field);
        }
    }

    [Fact]
    public void Filters_parse_api_names_and_name_the_parameter_at_fault()
    {
        var filter = OrderListRules.Filter(["paid,shipped", "paid"], "r1", null, T0, T0.AddDays(1), ["awaitingMerchant"]);
        Assert.Equal([OrderStatus.Paid, OrderStatus.Shipped], filter.Statuses);
        Assert.Equal([AfterSaleStatus.AwaitingMerchant], filter.AfterSale);

        Assert.Equal("status", Assert.Throws<DomainException>(() => OrderListRules.Filter(["teleported"], null, null, null, null, null)).Field);
        Assert.Equal("status", Assert.Throws<DomainException>(() => OrderListRules.Filter(["1"], null, null, null, null, null)).Field);
        Assert.Equal("afterSale", Assert.Throws<DomainException>(() => OrderListRules.Filter(null, null, null, null, null, ["maybe"])).Field);
        Assert.Equal("roomId", Assert.Throws<DomainException>(() => OrderListRules.Filter(null, "bad room", null, null, null, null)).Field);
        Assert.Equal("placedTo", Assert.Throws<DomainException>(() => OrderListRules.Filter(null, null, null, T0, T0, null)).Field);
        Assert.Equal("placedTo", Assert.Throws<DomainException>(() => OrderListRules.Filter(null, null, null, T0, T0.AddDays(400), null)).Field);
        Assert.Equal("limit", Assert.Throws<DomainException>(() => OrderListRules.PageSize(OrderListRules.MaxPageSize + 1)).Field);
        Assert.Equal(OrderListRules.MaxPageSize, OrderListRules.PageSize(OrderListRules.MaxPageSize));
    }

    [Fact]
    public void A_filter_matches_on_every_part_and_its_time_range_is_half_open()
    {
        var row = Fold(Event(OrderEventKind.Paid, minutes: 1)).ToRow();
        Assert.True(MerchantOrderFilter.None.Matches(row));
        Assert.True((MerchantOrderFilter.None with { PlacedFrom = T0, PlacedTo = T0.AddSeconds(1) }).Matches(row));
        Assert.False((MerchantOrderFilter.None with { PlacedTo = T0 }).Matches(row));
        Assert.False((MerchantOrderFilter.None with { Statuses = [OrderStatus.Shipped] }).Matches(row));
        Assert.False((MerchantOrderFilter.None with { RoomId = "r2" }).Matches(row));
        Assert.False((MerchantOrderFilter.None with { ProductId = "p2" }).Matches(row));
        Assert.False((MerchantOrderFilter.None with { AfterSale = [AfterSaleStatus.Refunded] }).Matches(row));
    }

    [Theory]
    [InlineData("13812345678", "138****5678")]
    [InlineData("010-12345678", "010*****5678")]
    [InlineData("1234", "****")]
    public void Phones_are_masked_keeping_the_first_three_and_last_four(string phone, string masked) =>
        Assert.Equal(masked, PhoneMask.Mask(phone));

    [Fact]
    public void A_merchant_sees_the_full_phone_only_on_an_order_it_must_ship()
    {
        Assert.True(AddressVisibility.MerchantSeesFullPhone(OrderStatus.Paid));
        foreach (var status in Enum.GetValues<OrderStatus>().Where(s => s != OrderStatus.Paid))
            Assert.False(AddressVisibility.MerchantSeesFullPhone(status));
    }

    [Theory]
    [InlineData("13812345678", true)]
    [InlineData("19912345678", true)]
    [InlineData("010-12345678", true)]
    [InlineData("0571-8888888", true)]
    [InlineData("12812345678", false)]
    [InlineData("1381234567", false)]
    [InlineData("138123456789", false)]
    [InlineData("+8613812345678", false)]
    [InlineData("010--1234567", false)]
    [InlineData("", false)]
    public void Phones_must_be_mainland_mobiles_or_landlines(string phone, bool valid) => Assert.Equal(valid, AddressRules.IsPhone(phone));

    [Fact]
    public void An_address_is_validated_field_by_field_and_trimmed()
    {
        Assert.Equal(Home, AddressRules.Validate(Home with { Recipient = "  Li Lei " }));
        Assert.Equal("recipient", Field(Home with { Recipient = " " }));
        Assert.Equal("recipient", Field(Home with { Recipient = new string('x', AddressRules.MaxRecipient + 1) }));
        Assert.Equal("phone", Field(Home with { Phone = "555" }));
        Assert.Equal("province", Field(Home with { Province = "" }));
        Assert.Equal("district", Field(Home with { District = "a\nb" }));
        Assert.Equal("detail", Field(Home with { Detail = new string('x', AddressRules.MaxDetail + 1) }));
        Assert.Equal("regionCode", Field(Home with { RegionCode = "33010" }));
        Assert.Equal("330106", AddressRules.Validate(Home with { RegionCode = "330106" }).RegionCode);

        static string? Field(ShippingAddress a) => Assert.Throws<DomainException>(() => AddressRules.Validate(a)).Field;
    }

    [Theory]
    [InlineData("virtual", true)]
    [InlineData("Virtual/coupon", true)]
    [InlineData("virtualreality", false)]
    [InlineData("beauty", false)]
    public void Virtual_goods_are_the_virtual_category_and_below(string category, bool isVirtual) =>
        Assert.Equal(isVirtual, AddressRules.IsVirtualCategory(category));
}
