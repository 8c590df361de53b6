using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

/// <summary>
/// <c>--webhooks</c>: the run acts as a service provider's app as well. At set-up an admin registers the app, every
/// merchant of the run grants it <c>webhooks</c>, and the app (its own client-credentials token) subscribes
/// <c>order.paid</c> to the generator's <see cref="WebhookReceiver"/>. After the run it waits, bounded, until every
/// order the run saw paid was delivered at least once, and adds the result to the invariants and the report.
/// </summary>
public sealed class WebhookDrill : IAsyncDisposable
{
    private const string Event = "order.paid";
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    private readonly Options _options;
    private readonly Api _api;
    private readonly HttpClient _http;
    private readonly World _world;
    private readonly Action<string> _progress;
    private readonly WebhookReceiver _receiver;
    private WebhookTally? _tally;

    private WebhookDrill(Options options, Api api, HttpClient http, World world, Action<string> progress, WebhookReceiver receiver) =>
        (_options, _api, _http, _world, _progress, _receiver) = (options, api, http, world, progress, receiver);

    public string ClientId => _world.Run + "-hooks";

    /// <summary>Starts the receiver and subscribes the run's app to it; the rooms (and so the merchants) exist by now.</summary>
    public static async Task<WebhookDrill> SetUpAsync(Options options, Api api, HttpClient http, World world, Action<string> progress)
    {
        var drill = new WebhookDrill(options, api, http, world, progress, await WebhookReceiver.StartAsync());
        try
        {
            await drill.SubscribeAsync();
            return drill;
        }
        catch
        {
            await drill.DisposeAsync();
            throw;
        }
    }

    private async Task SubscribeAsync()
    {
        var admin = (_world.Admin, "admin");
        var registered = await World.Must(_api.Send("setup", HttpMethod.Post, "/v1/admin/apps", admin,
            new { clientId = ClientId, displayName = "Load test webhook receiver", scopes = new[] { "webhooks", "orders.read" } }, record: false));
        var clientSecret = registered.Body.GetProperty("clientSecret").GetString()!;
        var merchants = _world.Rooms.Select(r => r.MerchantId).Distinct().ToList();
        foreach (var merchant in merchants)
            await World.Must(_api.Send("setup", HttpMethod.Put, $"/v1/merchants/{merchant}/app-grants/{ClientId}", (merchant, "merchant"),
                new { scopes = new[] { "webhooks", "orders.read" } }, record: false));

        // The app sets its own subscription, as a provider would: a token for one merchant that granted it.
        var token = await AppTokenAsync(clientSecret, merchants[0]);
        var subscribed = await _api.Send("setup", HttpMethod.Put, $"/v1/apps/{ClientId}/webhook", (ClientId, "app"),
            new { url = _receiver.Url, eventTypes = new[] { Event } }, bearer: token, record: false);
        if (!subscribed.Ok)
            throw new InvalidOperationException($"subscribing {_receiver.Url} failed: {subscribed.Error} {subscribed.Body}. Outside the embedded profile " +
                "the silos must allow loopback http targets (LiveCommerce:Webhooks:AllowPrivateTargets=true; start deploy/local-cluster.sh with LC_WEBHOOKS_ALLOW_PRIVATE=true).");
        var secret = subscribed.Body.TryGetProperty("secret", out var issued) && issued.ValueKind == JsonValueKind.String ? issued.GetString()!
            : throw new InvalidOperationException($"app {ClientId} already had a webhook secret: it is shown only once");
        _tally = new WebhookTally(secret);
        _receiver.Use(_tally);
        _progress($"webhooks: app {ClientId} granted by {merchants.Count} merchant(s), {Event} goes to {_receiver.Url}");
    }

    private async Task<string> AppTokenAsync(string clientSecret, string merchantId)
    {
        using var response = await _http.PostAsync(_options.NextUrl() + "/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = ClientId, ["client_secret"] = clientSecret, ["merchant_id"] = merchantId,
        }));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"the app's token request answered {(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// Waits up to <c>--webhook-wait</c> until every order the run saw paid has a delivery, reports progress, and adds
    /// the two checks (delivered at least once; every signature verifies) to <paramref name="invariants"/>.
    /// </summary>
    public async Task<WebhookSummary> FinishAsync(Invariants invariants)
    {
        var tally = _tally ?? throw new InvalidOperationException("the webhook drill was not set up");
        var paid = await PaidOrdersAsync(invariants);
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        for (var missing = tally.CountMissing(paid.Keys); missing > 0 && clock.Elapsed < _options.WebhookWait; missing = tally.CountMissing(paid.Keys))
        {
            if (clock.Elapsed - lastReport >= ProgressEvery || lastReport == TimeSpan.Zero)
            {
                _progress($"webhooks: {paid.Count - missing} of {paid.Count} paid orders delivered, waiting for {missing} " +
                          $"({(_options.WebhookWait - clock.Elapsed).TotalSeconds:F0} s left)");
                lastReport = clock.Elapsed;
            }
            await Task.Delay(500);
        }
        var s = tally.Summarize(ClientId, paid, clock.Elapsed.TotalSeconds);
        invariants.Add($"every paid order's {Event} webhook delivered >= 1", s.PaidOrders > 0 && s.Missing == 0,
            s.PaidOrders == 0 ? "no paid orders: nothing was checked"
                : $"{s.Delivered} of {s.PaidOrders} delivered after waiting {s.WaitedSeconds:F0} s, {s.Missing} missing" +
                  (s.Missing > 0 ? $" (e.g. {string.Join(", ", s.MissingExamples)})" : "") + $", {s.Duplicates} duplicate deliveries");
        invariants.Add("every webhook delivery's signature verifies", s.BadSignatures == 0, $"{s.Deliveries} verified, {s.BadSignatures} bad signatures");
        // An order that could not be read back might be a paid one whose delivery is missing: the check is incomplete.
        invariants.Add("every order not seen paid was read back for the webhook check", Interlocked.Read(ref _unreadable) == 0,
            $"{Interlocked.Read(ref _unreadable)} could not be read");
        return s;
    }

    /// <summary>
    /// The orders the run saw paid (with when), plus every other acknowledged order that reads back paid (a paid
    /// amount): a payment whose callback the buyer's poll missed, or whose request failed after it reached the cluster.
    /// </summary>
    private long _unreadable;

    private async Task<Dictionary<string, long?>> PaidOrdersAsync(Invariants reader)
    {
        var paid = _world.PaidOrders.ToDictionary(p => p.Key, p => (long?)p.Value);
        var unseen = _world.AcknowledgedOrders.Values.Where(id => !paid.ContainsKey(id)).Distinct().ToList();
        var late = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(unseen, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, _) =>
        {
            var order = await reader.VerifyAsync($"/v1/orders/{id}");
            if (order.Status != HttpStatusCode.OK) Interlocked.Increment(ref _unreadable);
            else if (order.Body.GetProperty("paidAmount").GetInt64() > 0) late.Add(id);
        });
        foreach (var id in late) paid[id] = null;
        _progress($"webhooks: {paid.Count - late.Count} orders seen paid; of the {unseen.Count} others {late.Count} read back paid");
        return paid;
    }

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();
}
