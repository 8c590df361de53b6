using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Api;

/// <summary>The live-room and escrow flow end to end through HTTP, sandbox callbacks included.</summary>
public sealed class OrderFlowHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    /// <summary>
    /// A client that retries (lost answer, timeout) sends the same transition again: the repeat answers 200 with the
    /// order as it is and changes nothing; the same step with other data stays a 409 with the current state.
    /// </summary>
    [Fact]
    public async Task Repeating_ship_delivery_or_confirm_with_the_same_data_answers_the_order_and_a_conflicting_one_is_a_409()
    {
        var shop = await OpenAsync(api);
        var buyer = await shop.BuyerAsync("repeat");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "repeat-1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);

        var shipped = await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "SBX-R1" }));
        var again = await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "SBX-R1" }));
        Assert.Equal(("shipped", shipped.GetProperty("shippedAt").GetString()), (again.GetProperty("status").GetString(), again.GetProperty("shippedAt").GetString()));
        foreach (var other in new object[] { new { carrier = "sandbox", trackingNumber = "SBX-R2" }, new { trackingNumber = "SBX-R1" } })
        {
            var conflict = await Read(await shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", other), HttpStatusCode.Conflict);
            Assert.Equal("Shipped", conflict.GetProperty("currentState").GetString());
        }
        Assert.Equal("SBX-R1", (await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}"))).GetProperty("trackingNumber").GetString());

        api.Clock.Advance(TimeSpan.FromHours(1));
        var delivered = await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
        api.Clock.Advance(TimeSpan.FromHours(1));
        var deliveredAgain = await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
        // The repeat did not restart the auto-confirm clock.
        Assert.Equal(delivered.GetProperty("deliveredAt").GetString(), deliveredAgain.GetProperty("deliveredAt").GetString());
        Assert.Equal(delivered.GetProperty("autoConfirmAt").GetString(), deliveredAgain.GetProperty("autoConfirmAt").GetString());

        var confirmed = await Ok(buyer.PostAsync($"/v1/orders/{orderId}/confirm", null));
        var confirmedAgain = await Ok(buyer.PostAsync($"/v1/orders/{orderId}/confirm", null));
        Assert.Equal(confirmed.GetProperty("confirmedAt").GetString(), confirmedAgain.GetProperty("confirmedAt").GetString());
        Assert.Contains(confirmedAgain.GetProperty("status").GetString(), new[] { "confirmed", "settled" });
        // Shipping a confirmed order again with the same parcel is still the same shipment; with another it is a conflict.
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { carrier = "sandbox", trackingNumber = "SBX-R1" }));
        Assert.Equal(HttpStatusCode.Conflict, (await shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SBX-R9" })).StatusCode);
    }

    [Fact]
    public async Task A_live_session_from_opening_the_room_to_settlement_and_a_clawback()
    {
        var shop = await OpenAsync(api, stock: 20, livePrice: 5000);
        var alice = await shop.BuyerAsync("alice");
        var bob = await shop.BuyerAsync("bob", city: "Chengdu");

        // Viewers join, like and comment; the room shows them.
        await Read(await alice.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await Read(await bob.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await Read(await alice.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/likes", new { count = 7 }), HttpStatusCode.Accepted);
        await Read(await bob.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "How much for two?" }), HttpStatusCode.Accepted);
        await Read(await bob.PutAsync($"/v1/buyers/{shop.Prefix}-bob/following/{shop.StreamerId}", null));

        // Alice orders two; the same Idempotency-Key again returns the same order.
        var placed = await Read(await shop.PlaceAsync(alice, "alice-1", quantity: 2), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        Assert.Equal(10000, placed.GetProperty("amount").GetInt64());
        var replay = await shop.PlaceAsync(alice, "alice-1", quantity: 2);
        Assert.Equal(orderId, (await Read(replay)).GetProperty("orderId").GetString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        // Payment through the sandbox: the signed callback marks it paid and credits each party as pending.
        var paid = await shop.PayAsync(alice, orderId);
        Assert.Equal("paid", paid.GetProperty("status").GetString());
        Assert.Equal(0, paid.GetProperty("split").GetArrayLength()); // buyers do not see who earns what
        var split = (await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}/split"))).GetProperty("split");
        Assert.Equal(9, split.GetArrayLength());
        var merchantShare = split.EnumerateArray().Single(l => l.GetProperty("role").GetString() == "seller").GetProperty("amount").GetInt64();
        Assert.Equal(5000, merchantShare);
        var balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.Equal(5000, balance.GetProperty("pending").GetInt64());
        var d6 = await Ok(shop.Admin.GetAsync($"/v1/accounts/{shop.Prefix}-d6"));
        Assert.Equal(150, d6.GetProperty("pending").GetInt64());

        var room = await Ok(bob.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.Equal((2, 2, 7, 1, 10000), (room.GetProperty("viewersNow").GetInt32(), room.GetProperty("uniqueViewers").GetInt32(),
            room.GetProperty("likes").GetInt32(), room.GetProperty("comments").GetInt32(), room.GetProperty("gmv").GetInt32()));
        var shelf = room.GetProperty("shelf")[0];
        Assert.Equal((18, 0, 2), (shelf.GetProperty("stockLeft").GetInt32(), shelf.GetProperty("reserved").GetInt32(), shelf.GetProperty("sold").GetInt32()));

        // Merchant ships, the carrier delivers, Alice confirms; the next business day's run settles the merchant.
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF1001" }));
        await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
        var confirmed = await Ok(alice.PostAsync($"/v1/orders/{orderId}/confirm", null));
        Assert.Equal("confirmed", confirmed.GetProperty("status").GetString());
        Assert.Null((await Ok(shop.Admin.PostAsync($"/v1/accounts/{shop.MerchantId}/settlement-runs", null))).GetProperty("batchId").GetString());
        api.Clock.Advance(TimeSpan.FromDays(4)); // past the next business day whatever weekday it is
        var run = await Ok(shop.Admin.PostAsync($"/v1/accounts/{shop.MerchantId}/settlement-runs", null));
        var batchId = run.GetProperty("batchId").GetString()!;
        Assert.Equal(5000, run.GetProperty("total").GetInt64());

        var today = DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime);
        var batches = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}/batches?from={today.AddDays(-7):yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}"));
        Assert.Contains(batches.EnumerateArray(), b => b.GetProperty("batchId").GetString() == batchId);
        var lines = (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}/batches/{batchId}"))).GetProperty("lines");
        Assert.Equal(orderId, lines[0].GetProperty("orderId").GetString());

        // A partial refund after settlement claws back from each party in proportion (the merchant's refund; a buyer opens a case).
        var byBuyer = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount = 2000, reason = "one jar cracked" }) };
        byBuyer.Headers.Add("Idempotency-Key", "refund-0");
        var refused = await alice.SendAsync(byBuyer);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("refund.after_sale_case_required", await refused.Content.ReadAsStringAsync());
        var refund = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount = 2000, reason = "one jar cracked" }) };
        refund.Headers.Add("Idempotency-Key", "refund-1");
        var refunded = await Read(await shop.Merchant.SendAsync(refund));
        Assert.Equal(2000, refunded.GetProperty("refundedAmount").GetInt64());
        balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.Equal((0, 4000), (balance.GetProperty("pending").GetInt64(), balance.GetProperty("available").GetInt64()));

        var csv = await shop.Merchant.GetStringAsync($"/v1/accounts/{shop.MerchantId}/statement.csv?from={today.AddDays(-7):yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}");
        Assert.StartsWith("entry_id,account_id,order_id,kind,amount_fen,at_utc,batch_id", csv);
        Assert.Contains(",settle,5000,", csv);
        Assert.Contains(",clawback,-1000,", csv);

        // Alice's own order list, newest first.
        var list = await Ok(alice.GetAsync($"/v1/buyers/{shop.Prefix}-alice/orders"));
        Assert.Equal(orderId, list.GetProperty("items")[0].GetProperty("orderId").GetString());
    }

    [Fact]
    public async Task Bad_input_is_refused_with_problem_details_and_changes_nothing()
    {
        var shop = await OpenAsync(api, stock: 5, perOrderLimit: 3);
        var buyer = await shop.BuyerAsync("carol");

        async Task Expect(HttpResponseMessage response, HttpStatusCode status, string? field = null, string? code = null)
        {
            var body = await Read(response, status);
            Assert.Equal((int)status, body.GetProperty("status").GetInt32());
            if (field is not null) Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
            if (code is not null) Assert.Equal(code, body.GetProperty("code").GetString());
        }

        await Expect(await shop.PlaceAsync(buyer, "q0", quantity: 0), HttpStatusCode.BadRequest, "quantity");
        await Expect(await shop.PlaceAsync(buyer, "q-1", quantity: -1), HttpStatusCode.BadRequest, "quantity");
        await Expect(await shop.PlaceAsync(buyer, "q4", quantity: 4), HttpStatusCode.BadRequest, "quantity");
        await Expect(await shop.PlaceAsync(buyer, "q1000", quantity: 1000), HttpStatusCode.BadRequest, "quantity");
        await Expect(await shop.PlaceAsync(buyer, "bad id", quantity: 1), HttpStatusCode.BadRequest, "Idempotency-Key");
        await Expect(await shop.PlaceAsync(buyer, "nope", roomId: "no-such-room"), HttpStatusCode.NotFound);
        await Expect(await shop.PlaceAsync(buyer, "ctrl", productId: "p\u0001"), HttpStatusCode.BadRequest, "productId");
        await Expect(await shop.PlaceAsync(buyer, "unlisted", productId: "not-on-shelf"), HttpStatusCode.Conflict, code: "shelf.not_listed");
        var noKey = await buyer.PostAsJsonAsync("/v1/orders", new { roomId = shop.RoomId, productId = shop.ProductId, quantity = 1 });
        await Expect(noKey, HttpStatusCode.BadRequest, "Idempotency-Key");
        var malformed = new HttpRequestMessage(HttpMethod.Post, "/v1/orders") { Content = new StringContent("{\"roomId\": ", Encoding.UTF8, "application/json") };
        malformed.Headers.Add("Idempotency-Key", "malformed");
        await Expect(await buyer.SendAsync(malformed), HttpStatusCode.BadRequest);

        // An unregistered buyer is unknown.
        var stranger = await api.ClientAs(shop.Prefix + "-stranger", "buyer");
        await Expect(await shop.PlaceAsync(stranger, "s1"), HttpStatusCode.NotFound, code: "buyer.not_found");

        // Shelf changes with bad values.
        await Expect(await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.ProductId}/price", new { livePrice = -5 }), HttpStatusCode.BadRequest, "livePrice");
        await Expect(await shop.Streamer.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.ProductId}/stock", new { quantity = -3 }), HttpStatusCode.BadRequest, "quantity");
        var sevenLevels = new { shares = new object[] {
            new { role = "seller", accountId = shop.MerchantId, basisPoints = 9000 }, new { role = "platform", accountId = "platform", basisPoints = 300 },
            new { role = "distributor", accountId = "x1", basisPoints = 100, level = 1 }, new { role = "distributor", accountId = "x2", basisPoints = 100, level = 2 },
            new { role = "distributor", accountId = "x3", basisPoints = 100, level = 3 }, new { role = "distributor", accountId = "x4", basisPoints = 100, level = 4 },
            new { role = "distributor", accountId = "x5", basisPoints = 100, level = 5 }, new { role = "distributor", accountId = "x6", basisPoints = 100, level = 6 },
            new { role = "distributor", accountId = "x7", basisPoints = 100, level = 7 } } };
        await Merchant(shop).PutAsJsonAsync($"/v1/products/{shop.Prefix}-p2", new { name = "Serum", category = "beauty", listPrice = 5000 });
        await shop.PublishOfferAsync($"{shop.Prefix}-p2", commissionBasisPoints: 700, sellerFloorBasisPoints: 8800);
        await Expect(await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.Prefix}-p2", new { livePrice = 4000, stock = 5, splitPlan = sevenLevels }),
            HttpStatusCode.BadRequest, "splitPlan");
        await Expect(await shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.Prefix}-p2", new { livePrice = 4000, stock = -1, splitPlan = shop.SixLevelPlan() }),
            HttpStatusCode.BadRequest, "stock");

        var room = await Ok(buyer.GetAsync($"/v1/rooms/{shop.RoomId}"));
        Assert.Equal(1, room.GetProperty("shelf").GetArrayLength());
        var shelf = room.GetProperty("shelf")[0];
        Assert.Equal((5, 0, 9900), (shelf.GetProperty("stockLeft").GetInt32(), shelf.GetProperty("reserved").GetInt32(), shelf.GetProperty("livePrice").GetInt32()));
        Assert.Equal(0, (await Ok(buyer.GetAsync($"/v1/buyers/{shop.Prefix}-carol/orders"))).GetProperty("total").GetInt32());
    }

    private static HttpClient Merchant(HttpShop shop) => shop.Merchant;

    [Fact]
    public async Task A_room_that_is_not_live_takes_no_orders_and_a_reused_key_is_a_conflict()
    {
        var shop = await OpenAsync(api, stock: 5, startLive: false);
        var buyer = await shop.BuyerAsync("dave");
        var notLive = await Read(await shop.PlaceAsync(buyer, "k1"), HttpStatusCode.Conflict);
        Assert.Equal("room.not_live", notLive.GetProperty("code").GetString());

        await Ok(shop.Streamer.PostAsync($"/v1/rooms/{shop.RoomId}/start", null));
        await Read(await shop.PlaceAsync(buyer, "k1", quantity: 1), HttpStatusCode.Created);
        var reused = await Read(await shop.PlaceAsync(buyer, "k1", quantity: 2), HttpStatusCode.Conflict);
        Assert.Equal("idempotency.key_reused", reused.GetProperty("code").GetString());
        Assert.Equal(4, (await Ok(buyer.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("shelf")[0].GetProperty("stockLeft").GetInt32());

        await Ok(shop.Streamer.PostAsync($"/v1/rooms/{shop.RoomId}/end", null));
        var ended = await Read(await shop.PlaceAsync(buyer, "k2"), HttpStatusCode.Conflict);
        Assert.Equal("room.not_live", ended.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Buyers_see_only_their_orders_and_merchants_only_their_accounts()
    {
        var shop = await OpenAsync(api, stock: 5);
        var erin = await shop.BuyerAsync("erin");
        var frank = await shop.BuyerAsync("frank");
        var orderId = (await Read(await shop.PlaceAsync(erin, "e1"), HttpStatusCode.Created)).GetProperty("orderId").GetString();

        Assert.Equal(HttpStatusCode.Forbidden, (await frank.GetAsync($"/v1/orders/{orderId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await frank.PostAsync($"/v1/orders/{orderId}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await frank.PostAsync($"/v1/orders/{orderId}/payments", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await frank.GetAsync($"/v1/buyers/{shop.Prefix}-erin/orders")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.Admin.GetAsync($"/v1/orders/{orderId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.Merchant.GetAsync($"/v1/orders/{orderId}")).StatusCode);

        await shop.PayAsync(erin, orderId!);
        var otherMerchant = await api.ClientAs(shop.Prefix + "-other-merchant", "merchant");
        Assert.Equal(HttpStatusCode.Forbidden, (await otherMerchant.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherMerchant.GetAsync($"/v1/orders/{orderId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherMerchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.Admin.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shop.Admin.GetAsync($"/v1/accounts/{shop.Prefix}-nobody")).StatusCode);

        var today = DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime);
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}/batches?from={today:yyyy-MM-dd}&to={today.AddDays(-1):yyyy-MM-dd}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}/batches?from={today.AddDays(-400):yyyy-MM-dd}&to={today:yyyy-MM-dd}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}/batches?from=yesterday&to=today")).StatusCode);

        var unpaid = (await Read(await shop.PlaceAsync(frank, "f1"), HttpStatusCode.Created)).GetProperty("orderId").GetString();
        var refundUnpaid = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{unpaid}/refunds") { Content = JsonContent.Create(new { amount = 100, reason = "x" }) };
        refundUnpaid.Headers.Add("Idempotency-Key", "r1");
        Assert.Equal(HttpStatusCode.Conflict, (await shop.Merchant.SendAsync(refundUnpaid)).StatusCode);
        var tooMuch = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount = 999999, reason = "x" }) };
        tooMuch.Headers.Add("Idempotency-Key", "r2");
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.SendAsync(tooMuch)).StatusCode);
        var negative = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount = -1, reason = "x" }) };
        negative.Headers.Add("Idempotency-Key", "r3");
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.SendAsync(negative)).StatusCode);
        Assert.Equal(0, (await Ok(erin.GetAsync($"/v1/orders/{orderId}"))).GetProperty("refundedAmount").GetInt64());
    }

    [Fact]
    public async Task Callbacks_must_be_signed_and_apply_once()
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 3000);
        var buyer = await shop.BuyerAsync("gina");
        var orderId = (await Read(await shop.PlaceAsync(buyer, "g1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        var anonymous = api.CreateClient();

        var forged = JsonSerializer.SerializeToUtf8Bytes(new PaymentCallback("e1", PaymentCallback.Succeeded, "pay-forged", orderId, 3000, api.Clock.GetUtcNow()), Json);
        var unsigned = await anonymous.PostAsync("/v1/payments/callbacks/sandbox", new ByteArrayContent(forged) { Headers = { ContentType = new("application/json") } });
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        var wrongKey = new HttpRequestMessage(HttpMethod.Post, "/v1/payments/callbacks/sandbox") { Content = new ByteArrayContent(forged) { Headers = { ContentType = new("application/json") } } };
        wrongKey.Headers.Add(CallbackSignature.Header, CallbackSignature.Sign("not-the-secret", api.Clock.GetUtcNow(), forged));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrongKey)).StatusCode);
        Assert.Equal("pendingPayment", (await Ok(buyer.GetAsync($"/v1/orders/{orderId}"))).GetProperty("status").GetString());

        var paid = await shop.PayAsync(buyer, orderId);
        var paymentId = paid.GetProperty("paymentId").GetString()!;
        // Replaying the provider's (correctly signed) success callback changes nothing.
        var secret = new LiveCommerce.Grains.Payments.Gateway.SandboxGatewayOptions().CallbackSecret; // the front door runs with the default
        var replay = JsonSerializer.SerializeToUtf8Bytes(new PaymentCallback(paymentId + ":final", PaymentCallback.Succeeded, paymentId, orderId, 3000, api.Clock.GetUtcNow()), Json);
        for (var i = 0; i < 3; i++)
        {
            var again = new HttpRequestMessage(HttpMethod.Post, "/v1/payments/callbacks/sandbox") { Content = new ByteArrayContent(replay) { Headers = { ContentType = new("application/json") } } };
            again.Headers.Add(CallbackSignature.Header, CallbackSignature.Sign(secret, api.Clock.GetUtcNow(), replay));
            var body = await Read(await anonymous.SendAsync(again));
            Assert.Equal("alreadyApplied", body.GetProperty("outcome").GetString());
        }
        var balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.Equal(1500, balance.GetProperty("pending").GetInt64());
        Assert.Equal(1, (await Ok(buyer.GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("ordersPaid").GetInt32());
    }
}
