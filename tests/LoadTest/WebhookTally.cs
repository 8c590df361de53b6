using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace LiveCommerce.LoadTest;

/// <summary>What the receiver made of one request.</summary>
public enum WebhookReceipt
{
    /// <summary>The first valid <c>order.paid</c> delivery for its order.</summary>
    First,
    /// <summary>A valid <c>order.paid</c> delivery for an order already delivered (at least once allows it; it is counted).</summary>
    Duplicate,
    /// <summary>The Standard Webhooks signature (or its id/timestamp headers) did not verify.</summary>
    BadSignature,
    /// <summary>Signed correctly, but not an <c>order.paid</c> event with an order id.</summary>
    Other,
}

/// <summary>The webhook part of a run's report.</summary>
public sealed record WebhookSummary(
    string ClientId, long PaidOrders, long Delivered, long Missing, IReadOnlyList<string> MissingExamples,
    long Deliveries, long Duplicates, long OrdersWithSeveralEventIds, long BadSignatures, long Other,
    long DeliveredNotSeenPaid, double? FirstDeliveryP50Ms, double? FirstDeliveryP99Ms, double WaitedSeconds);

/// <summary>
/// Counts the <c>order.paid</c> deliveries a load run receives: each request's signature is checked with the
/// maintained Standard Webhooks implementation against the app's secret, then counted per order (first delivery
/// time, deliveries, distinct webhook ids). Plain and thread safe, so it is tested without a server.
/// </summary>
public sealed class WebhookTally(string secret)
{
    public const int MissingExamples = 5;

    private sealed class OrderDeliveries(long firstAt, string eventId)
    {
        public long FirstAt { get; } = firstAt;
        public int Count { get; set; } = 1;
        public HashSet<string> EventIds { get; } = [eventId];
    }

    private readonly StandardWebhook _verifier = new(secret);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderDeliveries> _orders = [];
    private long _badSignatures, _other, _deliveries;

    public long BadSignatures => Interlocked.Read(ref _badSignatures);

    /// <summary>Verifies and counts one request; <paramref name="receivedAt"/> is a <see cref="Stopwatch"/> timestamp.</summary>
    public WebhookReceipt Receive(string body, IHeaderDictionary headers, long receivedAt)
    {
        try { _verifier.Verify(body, headers); }
        // The package throws its own exception for a wrong or missing signature, and a format error for a signature
        // that is not base64: both are a request this app must refuse.
        catch (Exception e) when (e is WebhookVerificationException or FormatException or ArgumentException)
        {
            Interlocked.Increment(ref _badSignatures);
            return WebhookReceipt.BadSignature;
        }
        if (OrderPaidId(body) is not { } orderId)
        {
            Interlocked.Increment(ref _other);
            return WebhookReceipt.Other;
        }
        var eventId = headers["webhook-id"].ToString();
        lock (_gate)
        {
            _deliveries++;
            if (!_orders.TryGetValue(orderId, out var seen))
            {
                _orders[orderId] = new OrderDeliveries(receivedAt, eventId);
                return WebhookReceipt.First;
            }
            seen.Count++;
            seen.EventIds.Add(eventId);
            return WebhookReceipt.Duplicate;
        }
    }

    /// <summary>How many of <paramref name="paid"/> have no delivery yet.</summary>
    public int CountMissing(IEnumerable<string> paid)
    {
        lock (_gate) return paid.Count(id => !_orders.ContainsKey(id));
    }

    /// <summary>
    /// The tally against the orders the run saw paid: each maps to the <see cref="Stopwatch"/> timestamp at which the
    /// generator saw it paid, or null when only the read-back after the run found it paid (no latency then).
    /// </summary>
    public WebhookSummary Summarize(string clientId, IReadOnlyDictionary<string, long?> paid, double waitedSeconds)
    {
        lock (_gate)
        {
            var missing = paid.Keys.Where(id => !_orders.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
            // A delivery can land before the buyer's poll saw the order paid: that counts as no delay, not a negative one.
            var latencies = paid.Where(p => p.Value is not null && _orders.ContainsKey(p.Key))
                .Select(p => Math.Max(0, Stopwatch.GetElapsedTime(p.Value!.Value, _orders[p.Key].FirstAt).TotalMilliseconds))
                .Order().ToList();
            return new WebhookSummary(clientId, paid.Count, paid.Count - missing.Count, missing.Count, missing.Take(MissingExamples).ToList(),
                _deliveries, _deliveries - _orders.Count, _orders.Values.Count(o => o.EventIds.Count > 1), BadSignatures, Interlocked.Read(ref _other),
                _orders.Keys.Count(id => !paid.ContainsKey(id)), Percentile(latencies, 50), Percentile(latencies, 99), waitedSeconds);
        }
    }

    /// <summary>Nearest-rank percentile of sorted values; null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>The order id of an <c>order.paid</c> envelope (<c>data.order.orderId</c>, else its <c>resourceId</c>); null for anything else.</summary>
    public static string? OrderPaidId(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String || type.GetString() != "order.paid") return null;
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("order", out var order) && order.ValueKind == JsonValueKind.Object
                && order.TryGetProperty("orderId", out var id) && id.ValueKind == JsonValueKind.String)
                return id.GetString();
            return root.TryGetProperty("resourceId", out var resource) && resource.ValueKind == JsonValueKind.String ? resource.GetString() : null;
        }
        catch (JsonException) { return null; }
    }
}
