using System.Security.Claims;
using System.Security.Cryptography;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace LiveCommerce.Api.Platform;

/// <summary>The <c>LiveCommerce:OAuth</c> section: the authorization server that issues app tokens.</summary>
public sealed class OAuthSettings
{
    public const string Section = "LiveCommerce:OAuth";

    /// <summary>The <c>iss</c> of app tokens (an absolute URI); validators compare it exactly.</summary>
    public string Issuer { get; set; } = "http://127.0.0.1:5080/";

    /// <summary>The <c>aud</c> of app tokens: this API.</summary>
    public string Audience { get; set; } = "livecommerce-open-api";

    /// <summary>
    /// App tokens live this long. It bounds how long a revoked grant still works: tokens are validated by signature
    /// and lifetime, not looked up (any front door can validate them without a database round trip).
    /// </summary>
    public int TokenLifetimeMinutes { get; set; } = 10;

    /// <summary>RSA private key (PEM, 2048 bits or more) that signs app tokens (RS256); or <see cref="SigningKeyPath"/>.</summary>
    public string? SigningKeyPem { get; set; }

    /// <summary>A file holding the PEM key (a mounted Kubernetes Secret).</summary>
    public string? SigningKeyPath { get; set; }

    public static OAuthSettings From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<OAuthSettings>() ?? new OAuthSettings();

    /// <summary>The configured signing key, or null when none is configured; throws when one is configured but unusable.</summary>
    public RsaSecurityKey? ConfiguredKey()
    {
        var pem = !string.IsNullOrWhiteSpace(SigningKeyPem) ? SigningKeyPem
            : !string.IsNullOrWhiteSpace(SigningKeyPath) ? File.ReadAllText(SigningKeyPath) : null;
        if (pem is null) return null;
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(pem); }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"{Section}:SigningKeyPem/SigningKeyPath is not an RSA private key in PEM.", e);
        }
        if (rsa.KeySize < 2048) throw new InvalidOperationException($"{Section} signing key must have at least 2048 bits.");
        return WithKeyId(new RsaSecurityKey(rsa));
    }

    /// <summary>The JWK thumbprint as key id, so the JWKS and the tokens' <c>kid</c> agree on every front door.</summary>
    public static RsaSecurityKey WithKeyId(RsaSecurityKey key)
    {
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromRSASecurityKey(key).ComputeJwkThumbprint());
        return key;
    }
}

/// <summary>OpenIddict's application, authorization, scope and token entities (EF Core).</summary>
public sealed class OAuthDbContext(DbContextOptions<OAuthDbContext> options) : DbContext(options);

public static class OAuthSetup
{
    /// <summary>The authentication scheme of app tokens (RS256, issued by our OpenIddict server).</summary>
    public const string AppScheme = "app";

    /// <summary>The scheme every endpoint authenticates with: it forwards to the user scheme or the app scheme.</summary>
    public const string BearerSelector = "bearer";

    public const string TokenPath = "/v1/oauth/token";
    public const string JwksPath = "/v1/oauth/jwks";

    /// <summary>The token request parameter naming the merchant the app acts for.</summary>
    public const string MerchantParameter = "merchant_id";
    public const string MerchantClaim = "merchant_id";

    public static OAuthSettings AddLiveCommerceOAuth(this WebApplicationBuilder builder, HostingProfile profile)
    {
        var settings = OAuthSettings.From(builder.Configuration);
        if (!Uri.TryCreate(settings.Issuer, UriKind.Absolute, out var issuer))
            throw new InvalidOperationException($"{OAuthSettings.Section}:Issuer must be an absolute URI.");
        if (settings.TokenLifetimeMinutes is <= 0 or > 60)
            throw new InvalidOperationException($"{OAuthSettings.Section}:TokenLifetimeMinutes must be between 1 and 60 (it bounds revocation).");
        // Outside the embedded profile SecretPolicy has already refused a missing key; embedded generates a development
        // key per process (its tokens die with the process).
        var key = settings.ConfiguredKey() ?? (profile == HostingProfile.Embedded
            ? OAuthSettings.WithKeyId(new RsaSecurityKey(RSA.Create(2048)))
            : throw new InsecureSecretException($"Refusing to start: {OAuthSettings.Section}:SigningKeyPem or SigningKeyPath is required."));
        var publicKey = OAuthSettings.WithKeyId(new RsaSecurityKey(key.Rsa.ExportParameters(false)));
        builder.Services.AddSingleton(settings);

        // The embedded profile keeps apps in memory (one process, like its grain storage); PostgreSQL otherwise, with a
        // small pool of its own (token issuance reads one application row).
        var inMemoryName = "oauth-" + Guid.NewGuid().ToString("N");
        var postgres = LiveCommerceOptions.From(builder.Configuration).Postgres;
        builder.Services.AddDbContext<OAuthDbContext>(o =>
        {
            if (profile == HostingProfile.Embedded) o.UseInMemoryDatabase(inMemoryName);
            else o.UseNpgsql(new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionString) { MaxPoolSize = 4 }.ConnectionString);
            o.UseOpenIddict();
        });

        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<OAuthDbContext>())
            .AddServer(o =>
            {
                o.SetIssuer(issuer);
                o.SetTokenEndpointUris(TokenPath.TrimStart('/'));
                o.SetJsonWebKeySetEndpointUris(JwksPath.TrimStart('/'));
                o.SetConfigurationEndpointUris(".well-known/openid-configuration");
                o.AllowClientCredentialsFlow();
                o.RegisterScopes([.. AppScopes.All]);
                o.SetAccessTokenLifetime(TimeSpan.FromMinutes(settings.TokenLifetimeMinutes));
                o.AddSigningKey(key);
                // Required by OpenIddict for the tokens it may encrypt; access tokens are plain signed JWTs (below) and the
                // client-credentials flow issues nothing else, so a per-process key loses nothing on restart.
                o.AddEphemeralEncryptionKey();
                o.DisableAccessTokenEncryption();
                // Stateless tokens: no row per token (revocation is bounded by the lifetime instead).
                o.DisableTokenStorage();
                // TLS ends at the ingress in front of the front doors.
                o.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            });
        // Tokens are stamped with the business clock, the one the front door validates them against (fake in tests).
        builder.Services.AddOptions<OpenIddictServerOptions>().Configure<IServiceProvider>((o, services) =>
            o.TimeProvider = services.GetRequiredKeyedService<TimeProvider>(DomainClock.Key));

        builder.Services.AddAuthentication().AddJwtBearer(AppScheme, o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                AuthenticationType = Access.AppAuthenticationType,
                ValidIssuer = issuer.AbsoluteUri,
                ValidAudience = settings.Audience,
                IssuerSigningKey = publicKey,
                ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                ValidTypes = ["at+jwt"],
                NameClaimType = "sub",
                RoleClaimType = "role",
                ClockSkew = TimeSpan.FromSeconds(30),
                RequireExpirationTime = true,
            };
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = ctx =>
                {
                    var systemSubjects = ctx.HttpContext.RequestServices.GetRequiredService<SystemSubjects>();
                    if (Access.AppTokenProblem(ctx.Principal!, systemSubjects) is { } problem) ctx.Fail(problem);
                    return Task.CompletedTask;
                },
            };
        });
        AuthSetup.ValidateLifetimeOnDomainClock(builder.Services, AppScheme, TimeSpan.FromMinutes(settings.TokenLifetimeMinutes));
        return settings;
    }

    /// <summary>App tokens are <c>at+jwt</c> (RFC 9068); everything else goes to the user scheme, which refuses what it cannot verify.</summary>
    public static string SchemeFor(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return JwtBearerDefaults.AuthenticationScheme;
        try
        {
            var token = new JsonWebToken(header["Bearer ".Length..].Trim());
            return string.Equals(token.Typ, "at+jwt", StringComparison.OrdinalIgnoreCase) ? AppScheme : JwtBearerDefaults.AuthenticationScheme;
        }
        catch (ArgumentException)
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }
    }

    /// <summary>Creates the OAuth tables in the embedded in-memory store (PostgreSQL gets them from deploy/postgres/140).</summary>
    public static async Task EnsureOAuthStoreAsync(this WebApplication app, HostingProfile profile)
    {
        if (profile != HostingProfile.Embedded) return;
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<OAuthDbContext>().Database.EnsureCreatedAsync();
    }
}

/// <summary>An app's token principal turned into the merchant it acts for, for one endpoint (see <see cref="Access.ActingForMerchant"/>).</summary>
public sealed class AppActingMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.User.IsApp() && http.GetEndpoint() is { } endpoint
            && endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null
            && endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null)
        {
            var scope = endpoint.Metadata.GetMetadata<AppScopeMetadata>()?.Scope;
            var (acting, problem) = Access.ActingForMerchant(http.User, scope);
            if (acting is null)
            {
                http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\"{(scope is null ? "" : $", scope=\"{scope}\"")}";
                await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: problem,
                    extensions: new Dictionary<string, object?> { ["code"] = "app.scope" }).ExecuteAsync(http);
                return;
            }
            http.User = acting;
        }
        await next(http);
    }
}

/// <summary>The app scope an endpoint is open to: an app token with it acts there exactly as the merchant would.</summary>
public sealed record AppScopeMetadata(string Scope);

public static class AppScopeEndpointExtensions
{
    /// <summary>Opens the endpoint to apps holding <paramref name="scope"/> for the merchant whose resource it is.</summary>
    public static TBuilder AllowApps<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder
    {
        if (!AppScopes.All.Contains(scope)) throw new ArgumentException($"Unknown scope {scope}.", nameof(scope));
        return builder.WithMetadata(new AppScopeMetadata(scope));
    }
}
