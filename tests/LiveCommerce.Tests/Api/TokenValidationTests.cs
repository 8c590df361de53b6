using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace LiveCommerce.Tests.Api;

/// <summary>A front door whose tokens may live at most 12 hours (the default), as in production.</summary>
public sealed class TwelveHourTokenApi : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Auth:TokenLifetimeMinutes", "480");
        builder.UseSetting("LiveCommerce:Auth:MaxTokenLifetimeMinutes", "720");
    }
}

/// <summary>
/// Hand-made tokens signed with the right key: a token must expire, live at most the configured maximum, carry one
/// valid subject that is no system party, and one known role. Anything else is 401.
/// </summary>
public sealed class TokenValidationTests(TwelveHourTokenApi api) : IClassFixture<TwelveHourTokenApi>
{
    private const string Key = "embedded-development-signing-key-not-for-production-0123456789";

    private DateTimeOffset Now => api.Clock.GetUtcNow();

    /// <summary>An HS256 token with exactly these claims (plus iss and aud).</summary>
    public static string Mint(Dictionary<string, object> claims, string key = Key)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var payload = new Dictionary<string, object>(claims) { ["iss"] = "livecommerce", ["aud"] = "livecommerce-api" };
        var header = B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var body = B64(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(header + "." + body)));
        return $"{header}.{body}.{signature}";
    }

    private Dictionary<string, object> Claims(string subject = "tok-user", object? role = null, TimeSpan? lifetime = null, bool withExp = true)
    {
        var now = Now.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role ?? "buyer", ["iat"] = now, ["nbf"] = now };
        if (withExp) claims["exp"] = now + (long)(lifetime ?? TimeSpan.FromHours(1)).TotalSeconds;
        return claims;
    }

    private async Task<HttpStatusCode> Call(Dictionary<string, object> claims)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Mint(claims));
        // An authenticated caller gets 404 for a streamer nobody created; an unauthenticated one 401.
        return (await client.GetAsync("/v1/streamers/tok-nobody")).StatusCode;
    }

    [Fact]
    public async Task A_well_formed_token_is_accepted() =>
        Assert.Equal(HttpStatusCode.NotFound, await Call(Claims(lifetime: TimeSpan.FromHours(11))));

    [Fact]
    public async Task A_token_without_exp_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Claims(withExp: false)));

    [Fact]
    public async Task A_token_living_longer_than_the_maximum_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Claims(lifetime: TimeSpan.FromHours(13))));

    [Fact]
    public async Task A_long_token_with_a_late_iat_is_refused()
    {
        // iat/nbf claimed in the future do not buy a longer validity from now.
        var claims = Claims(lifetime: TimeSpan.FromHours(30));
        claims["iat"] = Now.AddHours(20).ToUnixTimeSeconds();
        claims.Remove("nbf");
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(claims));
    }

    [Fact]
    public async Task A_token_whose_subject_is_the_platform_account_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Claims(subject: "platform", role: "merchant")));

    [Fact]
    public async Task A_token_with_two_roles_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Claims(role: new[] { "buyer", "merchant" })));

    [Fact]
    public async Task A_token_with_a_malformed_subject_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Claims(subject: "has space")));

    [Theory]
    [InlineData("platform")]
    [InlineData("PLATFORM")]
    public async Task The_dev_token_endpoint_refuses_system_subjects(string subject)
    {
        var response = await api.CreateClient().PostAsJsonAsync("/v1/dev/tokens", new { subject, role = "merchant" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Dev_tokens_live_the_configured_lifetime()
    {
        var response = await api.CreateClient().PostAsJsonAsync("/v1/dev/tokens", new { subject = "tok-dev", role = "buyer" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Now.AddMinutes(480), body.GetProperty("expiresAt").GetDateTimeOffset());
    }
}
