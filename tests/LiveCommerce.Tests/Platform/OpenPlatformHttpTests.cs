using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Platform;

/// <summary>A front door whose app tokens are signed with a key the tests know, so they can forge near-valid tokens.</summary>
public sealed class OpenPlatformApi : ApiFactory
{
    public static readonly RSA Key = RSA.Create(2048);
    public const string Issuer = "https://open.livecommerce.test/";
    public const string Audience = "livecommerce-open-api";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:OAuth:SigningKeyPem", Key.ExportPkcs8PrivateKeyPem());
        builder.UseSetting("LiveCommerce:OAuth:Issuer", Issuer);
        builder.UseSetting("LiveCommerce:OAuth:TokenLifetimeMinutes", "10");
    }

    /// <summary>Registers an app as an admin; returns its client id and secret.</summary>
    public async Task<(string ClientId, string Secret)> RegisterAppAsync(HttpClient admin, string clientId, params string[] scopes)
    {
        var created = await Read(await admin.PostAsJsonAsync("/v1/admin/apps", new { clientId, displayName = "ERP " + clientId, scopes }), HttpStatusCode.Created);
        return (clientId, created.GetProperty("clientSecret").GetString()!);
    }

    public Task<HttpResponseMessage> RequestTokenAsync(string clientId, string secret, string? merchantId, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (merchantId is not null) form["merchant_id"] = merchantId;
        if (scope is not null) form["scope"] = scope;
        return CreateClient().PostAsync("/v1/oauth/token", new FormUrlEncodedContent(form));
    }

    public async Task<HttpClient> AppClientAsync(string clientId, string secret, string merchantId, string? scope = null)
    {
        var response = await RequestTokenAsync(clientId, secret, merchantId, scope);
        var body = await Read(response);
        return WithToken(body.GetProperty("access_token").GetString()!);
    }

    public HttpClient WithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>
/// Apps act for a merchant only when the merchant granted them, only within the granted scopes, only on endpoints
/// open to those scopes, and not after a revocation once their token expired.
/// </summary>
public sealed class OpenPlatformHttpTests(OpenPlatformApi api) : IClassFixture<OpenPlatformApi>
{
    private static string Id(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(HttpShop Shop, string OrderId)> ShopWithPaidOrderAsync()
    {
        var shop = await OpenAsync(api, stock: 10, livePrice: 5000);
        var buyer = await shop.BuyerAsync("ann");
        var placed = await Read(await shop.PlaceAsync(buyer, "ann-1"), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);
        return (shop, orderId);
    }

    [Fact]
    public async Task An_app_acts_for_a_merchant_that_granted_it_within_the_granted_scopes()
    {
        var (shop, orderId) = await ShopWithPaidOrderAsync();
        var (other, otherOrder) = await ShopWithPaidOrderAsync();
        var (clientId, secret) = await api.RegisterAppAsync(shop.Admin, Id("erp"), "orders.read", "orders.fulfil", "settlement.read");

        // Before the merchant grants anything the app gets no token for it.
        var refused = await Read(await api.RequestTokenAsync(clientId, secret, shop.MerchantId), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", refused.GetProperty("error").GetString());

        // The merchant grants two of the three registered scopes; not one the app is not registered for.
        await Read(await shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}",
            new { scopes = new[] { "splits.write" } }), HttpStatusCode.BadRequest);
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}",
            new { scopes = new[] { "orders.read", "settlement.read" } }));
        // Another merchant cannot grant for this one, nor can an admin.
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}",
            new { scopes = new[] { "orders.read" } })).StatusCode);

        var app = await api.AppClientAsync(clientId, secret, shop.MerchantId);
        // The merchant's own order and account: yes.
        Assert.Equal(orderId, (await Ok(app.GetAsync($"/v1/orders/{orderId}"))).GetProperty("orderId").GetString());
        var ownView = (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"))).GetProperty("pending").GetInt64();
        Assert.True(ownView > 0);
        Assert.Equal(ownView, (await Ok(app.GetAsync($"/v1/accounts/{shop.MerchantId}"))).GetProperty("pending").GetInt64());
        // Another merchant's order and account: no (the token acts for its merchant only).
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"/v1/orders/{otherOrder}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"/v1/accounts/{other.MerchantId}")).StatusCode);
        // A scope the merchant did not grant: not in the token, so shipping is refused and changes nothing.
        var ship = await app.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF1" });
        Assert.Equal(HttpStatusCode.Forbidden, ship.StatusCode);
        Assert.Equal("paid", (await Ok(shop.Merchant.GetAsync($"/v1/orders/{orderId}"))).GetProperty("status").GetString());
        var overreach = await Read(await api.RequestTokenAsync(clientId, secret, shop.MerchantId, "orders.read orders.fulfil"), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_scope", overreach.GetProperty("error").GetString());
        // Endpoints open to no scope: admin routes, grants (the merchant's own act), buyer routes.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"/v1/admin/apps/{clientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"/v1/merchants/{shop.MerchantId}/app-grants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.PostAsync($"/v1/orders/{orderId}/confirm", null)).StatusCode);

        // A token scoped down to orders.read cannot read the account.
        var narrow = await api.AppClientAsync(clientId, secret, shop.MerchantId, "orders.read");
        Assert.Equal(HttpStatusCode.OK, (await narrow.GetAsync($"/v1/orders/{orderId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await narrow.GetAsync($"/v1/accounts/{shop.MerchantId}")).StatusCode);
    }

    [Fact]
    public async Task A_revoked_grant_ends_with_the_token_lifetime()
    {
        var (shop, orderId) = await ShopWithPaidOrderAsync();
        var (clientId, secret) = await api.RegisterAppAsync(shop.Admin, Id("wms"), "orders.read");
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = new[] { "orders.read" } }));
        var app = await api.AppClientAsync(clientId, secret, shop.MerchantId);
        Assert.Equal(HttpStatusCode.NoContent, (await shop.Merchant.DeleteAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}")).StatusCode);

        // No new token after the revocation; the one already issued lives out its 10 minutes, then it is refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await api.RequestTokenAsync(clientId, secret, shop.MerchantId)).StatusCode);
        api.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"/v1/orders/{orderId}")).StatusCode);
        api.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync($"/v1/orders/{orderId}")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_secret_or_unknown_client_gets_no_token()
    {
        var admin = await api.ClientAs(Id("adm"), "admin");
        var (clientId, _) = await api.RegisterAppAsync(admin, Id("crm"), "orders.read");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RequestTokenAsync(clientId, "not-the-secret", "m-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RequestTokenAsync(Id("nobody"), "x", "m-1")).StatusCode);
        // Registering the same client id twice is a conflict, and only admins register.
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/v1/admin/apps", new { clientId, displayName = "again", scopes = new[] { "orders.read" } })).StatusCode);
        var merchant = await api.ClientAs(Id("m"), "merchant");
        Assert.Equal(HttpStatusCode.Forbidden, (await merchant.PostAsJsonAsync("/v1/admin/apps", new { clientId = Id("x"), displayName = "x", scopes = new[] { "orders.read" } })).StatusCode);
    }

    [Fact]
    public async Task Issued_tokens_are_RS256_with_a_key_from_the_JWKS()
    {
        var (shop, _) = await ShopWithPaidOrderAsync();
        var (clientId, secret) = await api.RegisterAppAsync(shop.Admin, Id("bi"), "settlement.read");
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = new[] { "settlement.read" } }));
        var body = await Read(await api.RequestTokenAsync(clientId, secret, shop.MerchantId));
        Assert.Equal(600, body.GetProperty("expires_in").GetInt32());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString()!);
        Assert.Equal("RS256", token.Alg);
        Assert.Equal(OpenPlatformApi.Issuer, token.Issuer);
        Assert.Contains(OpenPlatformApi.Audience, token.Audiences);
        Assert.Equal(shop.MerchantId, token.GetClaim("merchant_id").Value);

        var jwks = await Ok(api.CreateClient().GetAsync("/v1/oauth/jwks"));
        var key = jwks.GetProperty("keys").EnumerateArray().Single();
        Assert.Equal(token.Kid, key.GetProperty("kid").GetString());
        Assert.False(key.TryGetProperty("d", out _)); // the public half only
        Assert.Equal(Base64UrlEncoder.Encode(OpenPlatformApi.Key.ExportParameters(false).Modulus), key.GetProperty("n").GetString());
    }

    // ---- forged tokens: only the configured key, issuer, audience and lifetime pass ------------------------------

    private string Forge(RSA key, string issuer = OpenPlatformApi.Issuer, string audience = OpenPlatformApi.Audience, TimeSpan? lifetime = null,
        string merchantId = "forge-m", string scope = "orders.read", string? role = null)
    {
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { ["client_id"] = "forge-app", ["sub"] = "forge-app", ["merchant_id"] = merchantId, ["scope"] = scope };
        if (role is not null) claims["role"] = role;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(5)),
            TokenType = "at+jwt",
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>An account that does not exist answers 404 to its merchant, 401 to an unauthenticated caller.</summary>
    private async Task<HttpStatusCode> Call(string token) => (await api.WithToken(token).GetAsync("/v1/accounts/forge-m/batches/b-none")).StatusCode;

    [Fact]
    public async Task A_token_signed_with_the_configured_key_passes() =>
        Assert.Equal(HttpStatusCode.Forbidden, await Call(Forge(OpenPlatformApi.Key))); // authenticated; orders.read does not open settlement

    [Fact]
    public async Task A_forged_token_with_the_right_scope_reaches_the_resource() =>
        Assert.Equal(HttpStatusCode.NotFound, await Call(Forge(OpenPlatformApi.Key, scope: "settlement.read")));

    [Fact]
    public async Task Tokens_with_a_wrong_key_issuer_audience_or_lifetime_are_refused()
    {
        using var otherKey = RSA.Create(2048);
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(otherKey, scope: "settlement.read")));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(OpenPlatformApi.Key, issuer: "https://evil.test/", scope: "settlement.read")));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(OpenPlatformApi.Key, audience: "livecommerce-api", scope: "settlement.read")));
        // Longer than the 10-minute lifetime, and expired.
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(OpenPlatformApi.Key, lifetime: TimeSpan.FromHours(2), scope: "settlement.read")));
        var expiring = Forge(OpenPlatformApi.Key, lifetime: TimeSpan.FromMinutes(1), scope: "settlement.read");
        api.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(expiring));
        // A role claim would make it a user: refused, as is an unknown scope.
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(OpenPlatformApi.Key, role: "admin", scope: "settlement.read")));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(Forge(OpenPlatformApi.Key, scope: "admin")));
    }

    [Fact]
    public async Task A_user_token_passes_through_the_user_scheme_unchanged()
    {
        var merchant = await api.ClientAs("forge-m", "merchant");
        Assert.Equal(HttpStatusCode.NotFound, (await merchant.GetAsync("/v1/accounts/forge-m/batches/b-none")).StatusCode);
        // An HS256 user token claiming typ at+jwt goes to the app scheme, which refuses it.
        var disguised = Api.TokenValidationTests.Mint(new Dictionary<string, object> { ["sub"] = "forge-m", ["role"] = "merchant",
            ["exp"] = api.Clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds() });
        var parts = disguised.Split('.');
        var header = Base64UrlEncoder.Encode("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}");
        Assert.Equal(HttpStatusCode.Unauthorized, await Call($"{header}.{parts[1]}.{parts[2]}"));
    }
}
