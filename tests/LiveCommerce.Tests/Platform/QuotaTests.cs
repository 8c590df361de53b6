using System.Net;
using System.Net.Http.Json;
using System.Threading.RateLimiting;
using LiveCommerce.Api.Platform;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Time.Testing;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Platform;

/// <summary>The fixed window on the business clock: exact at the limit, free again in the next window.</summary>
public sealed class ClockFixedWindowLimiterTests
{
    [Fact]
    public void The_limit_holds_within_a_window_and_recovers_in_the_next()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        using var limiter = new ClockFixedWindowLimiter(3, TimeSpan.FromMinutes(1), clock);
        for (var i = 0; i < 3; i++) Assert.True(limiter.AttemptAcquire().IsAcquired);
        clock.Advance(TimeSpan.FromSeconds(20));
        var refused = limiter.AttemptAcquire();
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(40), retryAfter);
        Assert.Null(limiter.IdleDuration); // the window in use is not over: evicting it would forget the count
        clock.Advance(TimeSpan.FromSeconds(40));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.Equal(2, limiter.GetStatistics()!.CurrentAvailablePermits);
    }
}

/// <summary>A front door with small quotas.</summary>
public sealed class SmallQuotaApi : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Quotas:PerUserOrders:PermitLimit", "2");
        builder.UseSetting("LiveCommerce:Quotas:PerUserOrders:WindowSeconds", "60");
        builder.UseSetting("LiveCommerce:Quotas:PerUserInteractions:PermitLimit", "3");
        builder.UseSetting("LiveCommerce:Quotas:TokenIssuance:PermitLimit", "2");
        builder.UseSetting("LiveCommerce:Quotas:PerApp:PermitLimit", "4");
    }
}

public sealed class QuotaHttpTests(SmallQuotaApi api) : IClassFixture<SmallQuotaApi>
{
    private static async Task AssertTooMany(HttpResponseMessage response, int maxRetryAfter)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, maxRetryAfter);
        Assert.Equal("quota.exceeded", (await Read(response, HttpStatusCode.TooManyRequests)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Order_placement_is_limited_per_user_and_recovers_after_the_window()
    {
        var shop = await OpenAsync(api, stock: 50, livePrice: 1000);
        var ann = await shop.BuyerAsync("ann");
        var bob = await shop.BuyerAsync("bob");
        Assert.Equal(HttpStatusCode.Created, (await shop.PlaceAsync(ann, "a1")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await shop.PlaceAsync(ann, "a2")).StatusCode);
        await AssertTooMany(await shop.PlaceAsync(ann, "a3"), 60);
        // Another user has a quota of its own.
        Assert.Equal(HttpStatusCode.Created, (await shop.PlaceAsync(bob, "b1")).StatusCode);
        api.Clock.Advance(TimeSpan.FromSeconds(60));
        // Recovered: the request reaches the order again (which may refuse it for its own reasons, never the quota).
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await shop.PlaceAsync(ann, "a3")).StatusCode);
    }

    [Fact]
    public async Task Likes_and_comments_share_a_per_user_quota()
    {
        var shop = await OpenAsync(api);
        var ann = await shop.BuyerAsync("ann");
        await Read(await ann.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        await Read(await ann.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/likes", new { count = 1 }), HttpStatusCode.Accepted);
        await Read(await ann.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "hi" }), HttpStatusCode.Accepted);
        await Read(await ann.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/likes", new { count = 1 }), HttpStatusCode.Accepted);
        await AssertTooMany(await ann.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/comments", new { text = "again" }), 60);
    }

    [Fact]
    public async Task Token_issuance_and_app_calls_are_limited_per_app()
    {
        var shop = await OpenAsync(api);
        var clientId = "q-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Read(await shop.Admin.PostAsJsonAsync("/v1/admin/apps", new { clientId, displayName = "Q", scopes = new[] { "settlement.read" } }), HttpStatusCode.Created);
        var secret = created.GetProperty("clientSecret").GetString()!;
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = new[] { "settlement.read" } }));
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["merchant_id"] = shop.MerchantId };
        var client = api.CreateClient();
        var token = (await Read(await client.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(form)))).GetProperty("access_token").GetString()!;
        await Read(await client.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(form)));
        await AssertTooMany(await client.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(form)), 60);

        // Calls with the app's token: 4 per window for the app, whatever the merchant's own quota. (No sale yet: the
        // account is a 404, which shows the call reached it.)
        var app = api.CreateClient();
        app.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var reached = (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode;
        Assert.NotEqual(HttpStatusCode.TooManyRequests, reached);
        for (var i = 0; i < 4; i++) Assert.Equal(reached, (await app.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
        await AssertTooMany(await app.GetAsync($"/v1/accounts/{shop.MerchantId}"), 60);
        Assert.Equal(reached, (await shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
        api.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(reached, (await app.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
    }
}
