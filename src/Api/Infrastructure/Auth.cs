using LiveCommerce.Grains.Common;
using System.Security.Claims;
using System.Text;
using LiveCommerce.Contracts.Common;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>The roles a token can carry.</summary>
public static class Roles
{
    public const string Buyer = "buyer";
    public const string Streamer = "streamer";
    public const string Merchant = "merchant";
    public const string Admin = "admin";

    public static readonly string[] All = [Buyer, Streamer, Merchant, Admin];
}

/// <summary>The <c>LiveCommerce:Auth</c> section.</summary>
public sealed class AuthSettings
{
    public const string Section = "LiveCommerce:Auth";

    /// <summary>The key shipped in appsettings.json for local development; refused outside the embedded profile.</summary>
    public const string DevelopmentKey = "embedded-development-signing-key-not-for-production-0123456789";

    public string Issuer { get; set; } = "livecommerce";
    public string Audience { get; set; } = "livecommerce-api";
    public string SigningKey { get; set; } = "";
    public int TokenLifetimeMinutes { get; set; } = 480;

    public SymmetricSecurityKey Key() => new(Encoding.UTF8.GetBytes(SigningKey));
}

/// <summary>Issues HS256 tokens; used by the embedded profile's development token endpoint.</summary>
public sealed class TokenIssuer(AuthSettings settings, [FromKeyedServices(DomainClock.Key)] TimeProvider clock)
{
    public (string Token, DateTimeOffset ExpiresAt) Issue(string subject, string role)
    {
        var now = clock.GetUtcNow();
        var expires = now.AddMinutes(settings.TokenLifetimeMinutes);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role },
            SigningCredentials = new SigningCredentials(settings.Key(), SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }
}

public static class AuthSetup
{
    /// <summary>Cookie a browser can carry for read-only pages (dashboard, analytics charts).</summary>
    public const string BrowserCookie = "lc_access_token";

    public static AuthSettings AddLiveCommerceAuth(this WebApplicationBuilder builder, bool embedded)
    {
        var settings = builder.Configuration.GetSection(AuthSettings.Section).Get<AuthSettings>() ?? new AuthSettings();
        if (Encoding.UTF8.GetByteCount(settings.SigningKey) < 32)
            throw new InvalidOperationException("LiveCommerce:Auth:SigningKey must be at least 32 bytes (HS256).");
        if (!embedded && settings.SigningKey == AuthSettings.DevelopmentKey)
            throw new InvalidOperationException("The development signing key is only accepted in the embedded profile; set LiveCommerce__Auth__SigningKey.");

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKey = settings.Key(),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = "sub",
                RoleClaimType = "role",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            o.Events = new JwtBearerEvents
            {
                // Browsers cannot add a bearer header to page loads; accept the cookie for reads only,
                // so a cookie can never authorize a state change (no CSRF surface).
                OnMessageReceived = ctx =>
                {
                    if (string.IsNullOrEmpty(ctx.Request.Headers.Authorization)
                        && (HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method))
                        && ctx.Request.Cookies.TryGetValue(BrowserCookie, out var cookie))
                        ctx.Token = cookie;
                    return Task.CompletedTask;
                },
            };
        });
        // Token lifetimes are checked against the same clock that issued them (a fake clock in tests).
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IServiceProvider>((o, services) =>
        {
            var clock = services.GetRequiredKeyedService<TimeProvider>(DomainClock.Key);
            var skew = o.TokenValidationParameters.ClockSkew;
            o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore.Value <= now + skew) && (expires is null || expires.Value > now - skew);
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Buyer, p => p.RequireRole(Roles.Buyer))
            .AddPolicy(Roles.Streamer, p => p.RequireRole(Roles.Streamer))
            .AddPolicy(Roles.Merchant, p => p.RequireRole(Roles.Merchant))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy("authenticated", p => p.RequireAuthenticatedUser());
        return settings;
    }
}

/// <summary>Who is calling, from the validated token.</summary>
public static class CallerExtensions
{
    public static string Subject(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new DomainException(ErrorKind.Forbidden, "forbidden", "The token has no subject.");

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    /// <summary>A caller acts only as itself: its subject must be <paramref name="id"/> (admins may read anyone).</summary>
    public static void EnsureIsOrAdmin(this ClaimsPrincipal user, string id)
    {
        if (user.IsAdmin()) return;
        if (user.Subject() != id) throw DomainException.Forbidden("You may only act on your own resources.");
    }
}
