using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Api.Platform;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Platform;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// The open platform: admins register service providers' apps, merchants grant them scopes, apps get tokens with the
/// client-credentials grant for one merchant that granted them (<c>merchant_id</c> in the token request).
/// </summary>
public static class PlatformEndpoints
{
    public sealed record RegisterAppRequest(string? ClientId, string? DisplayName, IReadOnlyList<string>? Scopes, string? WebhookUrl = null);
    /// <summary>The client secret is shown once, here; the OAuth store keeps only its hash.</summary>
    public sealed record RegisteredApp(AppView App, string ClientSecret);
    public sealed record GrantRequest(IReadOnlyList<string>? Scopes);
    public sealed record GrantList(IReadOnlyList<AppGrantView> Grants);

    /// <summary>The OAuth 2.0 token response (RFC 6749 §5.1) OpenIddict writes; declared so clients know its fields.</summary>
    public sealed record OAuthTokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("scope")] string? Scope);

    /// <summary>The OAuth 2.0 error response (RFC 6749 §5.2): the token endpoint's refusals are in this form, not problem details.</summary>
    public sealed record OAuthErrorResponse(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);

    public const int MaxWebhookUrlLength = 2000;

    public static void MapPlatformEndpoints(this RouteGroupBuilder v1)
    {
        var apps = v1.MapGroup("/admin/apps").WithTags("Open platform").RequireAuthorization(Roles.Admin);

        apps.MapPost("/", async Task<Results<Created<RegisteredApp>, ProblemHttpResult>> (RegisterAppRequest body, HttpContext http,
            IGrainFactory grains, IOpenIddictApplicationManager applications) =>
        {
            var clientId = Ids.Require(body.ClientId, "clientId");
            var scopes = AppScopes.Require(body.Scopes, "scopes");
            var webhookUrl = WebhookUrl(body.WebhookUrl);
            if (await applications.FindByClientIdAsync(clientId) is not null)
                throw DomainException.Conflict("app.exists", $"App '{clientId}' is already registered.");
            // The grain first: a retry after a failed OAuth write repeats the same registration, which the grain accepts.
            var app = await grains.Ref<IPlatformAppGrain>(clientId).Register(
                new AppRegistration(body.DisplayName ?? "", scopes, webhookUrl, http.User.Subject()));
            var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = clientId,
                ClientSecret = secret, // hashed by the manager before it is stored
                ClientType = ClientTypes.Confidential,
                DisplayName = app.DisplayName,
            };
            descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials]);
            descriptor.Permissions.UnionWith(scopes.Select(s => Permissions.Prefixes.Scope + s));
            await applications.CreateAsync(descriptor);
            return TypedResults.Created($"/v1/admin/apps/{clientId}", new RegisteredApp(app, secret));
        }).Produces<RegisteredApp>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
          .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
          .WithSummary("Registers a service provider's app (admins).");

        apps.MapGet("/{clientId}", async Task<Ok<AppView>> (string clientId, IGrainFactory grains) =>
            TypedResults.Ok(await grains.Ref<IPlatformAppGrain>(Ids.Require(clientId, "clientId")).Find() ?? throw DomainException.NotFound("app", clientId)))
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("An app's registration (admins).");

        // Grants are the merchant's own act (an app cannot widen its own grant, an admin cannot grant for the merchant).
        var grants = v1.MapGroup("/merchants/{merchantId}/app-grants").WithTags("Open platform").RequireAuthorization(Roles.Merchant);

        grants.MapPut("/{clientId}", async Task<Ok<AppGrantView>> (string merchantId, string clientId, GrantRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await Grants(http.User, grains, merchantId).Grant(Ids.Require(clientId, "clientId"), AppScopes.Require(body.Scopes, "scopes"))))
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Grants an app a subset of its registered scopes for this merchant (the merchant only).");

        grants.MapDelete("/{clientId}", async Task<Results<NoContent, NotFound>> (string merchantId, string clientId, HttpContext http, IGrainFactory grains) =>
            await Grants(http.User, grains, merchantId).Revoke(Ids.Require(clientId, "clientId")) ? TypedResults.NoContent() : TypedResults.NotFound())
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Revokes an app's grant (the merchant only). Tokens already issued stay valid until they expire (at most the token lifetime).");

        grants.MapGet("/", async Task<Ok<GrantList>> (string merchantId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(new GrantList(await Grants(http.User, grains, merchantId).List())))
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The apps this merchant granted (the merchant only).");

        // The OAuth token endpoint (OpenIddict validated the client and its secret before this runs).
        v1.MapPost("/oauth/token", IssueToken).WithTags("Open platform").AllowAnonymous().DisableAntiforgery()
            .RequireRateLimiting(Quotas.TokenIssuance).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .Produces<OAuthTokenResponse>(StatusCodes.Status200OK).Produces<OAuthErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<OAuthErrorResponse>(StatusCodes.Status401Unauthorized)
            .WithSummary("Client-credentials token for an app, acting for the merchant named by merchant_id (form parameter).");
    }

    private static IMerchantAppGrantsGrain Grants(ClaimsPrincipal user, IGrainFactory grains, string merchantId)
    {
        Ids.Require(merchantId, "merchantId");
        if (!user.Is(Party.Merchant, merchantId) || user.ActingApp() is not null)
            throw DomainException.Forbidden("Only the merchant itself may manage its app grants.");
        return grains.Ref<IMerchantAppGrantsGrain>(merchantId);
    }

    private static string? WebhookUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (url.Length > MaxWebhookUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo))
            throw DomainException.Invalid("webhookUrl", "webhookUrl must be an absolute http(s) URL without credentials.");
        return uri.AbsoluteUri;
    }

    /// <summary>
    /// Issues a token when the merchant granted the app: its scopes are those requested (all granted ones when none
    /// are), each of which the merchant must have granted. OpenIddict already refused unknown clients, wrong secrets and
    /// scopes the app is not registered for.
    /// </summary>
    private static async Task<Results<SignInHttpResult, ForbidHttpResult>> IssueToken(HttpContext http, IGrainFactory grains, OAuthSettings settings)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict request is missing.");
        if (!request.IsClientCredentialsGrantType())
            return Refuse(Errors.UnsupportedGrantType, "Only the client_credentials grant is supported.");
        var clientId = request.ClientId!;
        var merchantId = (string?)request[OAuthSetup.MerchantParameter];
        if (Ids.Problem(merchantId) is not null)
            return Refuse(Errors.InvalidRequest, "merchant_id names the merchant the token acts for.");
        var grant = await grains.Ref<IMerchantAppGrantsGrain>(merchantId!).Find(clientId);
        if (grant is null) return Refuse(Errors.InvalidGrant, "The merchant has not granted this app.");
        var requested = request.GetScopes();
        var scopes = requested.IsDefaultOrEmpty ? grant.Scopes : requested.ToList();
        if (AppScopes.Missing(scopes, grant.Scopes) is { Count: > 0 } missing)
            return Refuse(Errors.InvalidScope, $"The merchant has not granted {string.Join(", ", missing)}.");

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetClaim(Claims.ClientId, clientId);
        identity.SetClaim(OAuthSetup.MerchantClaim, merchantId);
        identity.SetScopes(scopes);
        identity.SetResources(settings.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return TypedResults.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static ForbidHttpResult Refuse(string error, string description) =>
        TypedResults.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
