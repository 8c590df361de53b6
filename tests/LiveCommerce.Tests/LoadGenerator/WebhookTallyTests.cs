using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;
using LiveCommerce.LoadTest;
using Microsoft.AspNetCore.Http;

namespace LiveCommerce.Tests.LoadGenerator;

/// <summary>
/// The load generator's webhook receiver (<c>--webhooks</c>): it verifies what the platform's own sender signs, counts
/// a repeat as a duplicate, refuses and counts bad signatures, and says which paid orders were never delivered.
/// </summary>
public sealed class WebhookTallyTests
{
    private static readonly string Secret = NewSecret();
    private static readonly DateTimeOffset OccurredAt = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly long Tick = Stopwatch.Frequency / 1000; // one millisecond in Stopwatch ticks

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static (string Body, HeaderDictionary Headers) Delivery(string orderId, string type = WebhookEventTypes.OrderPaid,
        string? secret = null, DateTimeOffset? sentAt = null, long sequence = 1)
    {
        // A fixed occurrence time: the same event gives the same body, so only what a test changes breaks a signature.
        var e = new WebhookEvent($"{orderId}:{sequence}:{type}", "m1", type, orderId, sequence, OccurredAt,
            $$"""{"order":{"orderId":"{{orderId}}","amount":9900},"paymentId":"pay-{{orderId}}"}""");
        var body = WebhookSender.Body(e);
        var at = sentAt ?? DateTimeOffset.UtcNow;
        return (body, new HeaderDictionary
        {
            ["webhook-id"] = e.EventId,
            ["webhook-timestamp"] = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = WebhookSender.Sign([secret ?? Secret], e.EventId, at, body),
        });
    }

    [Fact]
    public void A_signed_delivery_counts_once_a_repeat_is_a_duplicate_and_an_undelivered_paid_order_is_missing()
    {
        var tally = new WebhookTally(Secret);
        var (body, headers) = Delivery("o1");
        Assert.Equal(WebhookReceipt.First, tally.Receive(body, headers, 100 * Tick));
        Assert.Equal(WebhookReceipt.Duplicate, tally.Receive(body, headers, 900 * Tick));

        Assert.Equal(1, tally.CountMissing(["o1", "o2"]));
        var s = tally.Summarize("app", new Dictionary<string, long?> { ["o1"] = 0, ["o2"] = 0 }, 3);
        Assert.Equal((2L, 1L, 1L, 2L, 1L, 0L), (s.PaidOrders, s.Delivered, s.Missing, s.Deliveries, s.Duplicates, s.BadSignatures));
        Assert.Equal(["o2"], s.MissingExamples);
        Assert.Equal(0, s.OrdersWithSeveralEventIds); // a redelivery of the same event, not a second event
        Assert.Equal(100, s.FirstDeliveryP50Ms!.Value, 1); // from the first delivery, not the repeat
    }

    [Fact]
    public void Bad_signatures_are_counted_and_deliver_nothing()
    {
        var tally = new WebhookTally(Secret);
        var (body, headers) = Delivery("o1");
        var (_, otherKey) = Delivery("o1", secret: NewSecret());
        var (_, stale) = Delivery("o1", sentAt: DateTimeOffset.UtcNow.AddMinutes(-10)); // outside the replay window
        var unsigned = new HeaderDictionary { ["webhook-id"] = headers["webhook-id"], ["webhook-timestamp"] = headers["webhook-timestamp"] };

        Assert.Equal(WebhookReceipt.BadSignature, tally.Receive(body.Replace("9900", "1"), headers, 0)); // tampered body
        Assert.Equal(WebhookReceipt.BadSignature, tally.Receive(body, otherKey, 0));
        Assert.Equal(WebhookReceipt.BadSignature, tally.Receive(body, stale, 0));
        Assert.Equal(WebhookReceipt.BadSignature, tally.Receive(body, unsigned, 0));

        var s = tally.Summarize("app", new Dictionary<string, long?> { ["o1"] = 0 }, 0);
        Assert.Equal((4L, 0L, 1L, 0L), (s.BadSignatures, s.Delivered, s.Missing, s.Deliveries));
        Assert.Null(s.FirstDeliveryP50Ms);
    }

    [Fact]
    public void Other_event_types_second_event_ids_and_orders_the_run_did_not_see_paid_are_told_apart()
    {
        var tally = new WebhookTally(Secret);
        var (shippedBody, shippedHeaders) = Delivery("o1", WebhookEventTypes.OrderShipped);
        Assert.Equal(WebhookReceipt.Other, tally.Receive(shippedBody, shippedHeaders, 0));
        Assert.Equal(1, tally.CountMissing(["o1"]));

        var (first, firstHeaders) = Delivery("o1");
        var (second, secondHeaders) = Delivery("o1", sequence: 2); // a second order.paid event for one order
        var (late, lateHeaders) = Delivery("o3");
        tally.Receive(first, firstHeaders, 50 * Tick);
        tally.Receive(second, secondHeaders, 60 * Tick);
        tally.Receive(late, lateHeaders, 70 * Tick);

        // o1 was seen paid after its delivery arrived (no negative delay); o2 only read back paid (no delay known);
        // o3 was delivered but never seen paid by the run.
        var s = tally.Summarize("app", new Dictionary<string, long?> { ["o1"] = 80 * Tick, ["o2"] = null }, 0);
        Assert.Equal((2L, 1L, 1L, 3L, 1L, 1L, 1L), (s.PaidOrders, s.Delivered, s.Missing, s.Deliveries, s.Duplicates, s.OrdersWithSeveralEventIds, s.DeliveredNotSeenPaid));
        Assert.Equal(1, s.Other);
        Assert.Equal(0.0, s.FirstDeliveryP50Ms);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToList();
        Assert.Equal(50, WebhookTally.Percentile(values, 50));
        Assert.Equal(99, WebhookTally.Percentile(values, 99));
        Assert.Equal(7, WebhookTally.Percentile([7], 99));
        Assert.Null(WebhookTally.Percentile([], 50));
    }

    [Fact]
    public async Task The_receiver_answers_204_to_a_signed_delivery_401_to_a_bad_one_and_503_before_it_knows_the_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        Assert.StartsWith("http://127.0.0.1:", receiver.Url);
        using var http = new HttpClient();
        var (body, headers) = Delivery("o1");

        async Task<HttpStatusCode> Post(IHeaderDictionary h, string content)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new StringContent(content) };
            foreach (var (name, value) in h) request.Headers.Add(name, value.ToString());
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await Post(headers, body));
        var tally = new WebhookTally(Secret);
        receiver.Use(tally);
        Assert.Equal(HttpStatusCode.NoContent, await Post(headers, body));
        Assert.Equal(HttpStatusCode.NoContent, await Post(headers, body));
        Assert.Equal(HttpStatusCode.Unauthorized, await Post(headers, body + " "));
        using (var get = await http.GetAsync(receiver.Url)) Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        var s = tally.Summarize("app", new Dictionary<string, long?> { ["o1"] = null }, 0);
        Assert.Equal((1L, 2L, 1L, 1L), (s.Delivered, s.Deliveries, s.Duplicates, s.BadSignatures));
    }
}
