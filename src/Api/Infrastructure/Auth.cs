using LiveCommerce.Grains.Common;
using System.Security.Claims;
using System.Text;
using LiveCommerce.Contracts.Common;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using LiveCommerce.Grains.Payments.Splits;

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
    public const string DevelopmentKey = LiveCommerce.Grains.Hosting.SecretPolicy.DevelopmentSigningKey;

    public string Issuer { get; set; } = "livecommerce";
    public string Audience { get; set; } = "livecommerce-api";
    public string SigningKey { get; set; } = "";
    public int TokenLifetimeMinutes { get; set; } = 480;

    /// <summary>Longest lifetime (exp minus the earlier of iat and nbf) of a token accepted here, whoever issued it.</summary>
    public int MaxTokenLifetimeMinutes { get; set; } = 720;

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

    public static AuthSettings AddLiveCommerceAuth(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(AuthSettings.Section).Get<AuthSettings>() ?? new AuthSettings();
        if (Encoding.UTF8.GetByteCount(settings.SigningKey) < 32)
            throw new InvalidOperationException("LiveCommerce:Auth:SigningKey must be at least 32 bytes (HS256).");
        // Known and placeholder keys outside the embedded profile: SecretPolicy, run by Program before this.
        if (settings.MaxTokenLifetimeMinutes <= 0 || settings.TokenLifetimeMinutes <= 0 || settings.TokenLifetimeMinutes > settings.MaxTokenLifetimeMinutes)
            throw new InvalidOperationException("LiveCommerce:Auth:TokenLifetimeMinutes must be positive and at most LiveCommerce:Auth:MaxTokenLifetimeMinutes.");
        var systemSubjects = SystemSubjects.From(builder.Configuration);
        builder.Services.AddSingleton(systemSubjects);

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<TokenIssuer>();
        // Two kinds of bearer token: users' HS256 tokens and apps' RS256 tokens (Platform/OAuthSetup); the default scheme
        // picks the one that can verify the presented token.
        builder.Services.AddAuthentication(LiveCommerce.Api.Platform.OAuthSetup.BearerSelector)
            .AddPolicyScheme(LiveCommerce.Api.Platform.OAuthSetup.BearerSelector, "User or app bearer token",
                o => o.ForwardDefaultSelector = LiveCommerce.Api.Platform.OAuthSetup.SchemeFor)
            .AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, o =>
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
                // A token without exp would be valid forever (enforced again by the lifetime validator below).
                RequireExpirationTime = true,
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
                // Who the caller is must be unambiguous before any resource check: one valid subject that is no
                // system party (a user named `platform` would pass the platform account's checks), and one known role.
                OnTokenValidated = ctx =>
                {
                    if (IdentityProblem(ctx.Principal!, systemSubjects) is { } problem) ctx.Fail(problem);
                    return Task.CompletedTask;
                },
            };
        });
        ValidateLifetimeOnDomainClock(builder.Services, JwtBearerDefaults.AuthenticationScheme, TimeSpan.FromMinutes(settings.MaxTokenLifetimeMinutes));
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Buyer, p => p.RequireRole(Roles.Buyer))
            .AddPolicy(Roles.Streamer, p => p.RequireRole(Roles.Streamer))
            .AddPolicy(Roles.Merchant, p => p.RequireRole(Roles.Merchant))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy("authenticated", p => p.RequireAuthenticatedUser());
        return settings;
    }

    /// <summary>Token lifetimes of <paramref name="scheme"/> are checked against the same clock that issued them (a fake clock in tests).</summary>
    public static void ValidateLifetimeOnDomainClock(IServiceCollection services, string scheme, TimeSpan max) =>
        services.AddOptions<JwtBearerOptions>(scheme).Configure<IServiceProvider>((o, provider) =>
        {
            var clock = provider.GetRequiredKeyedService<TimeProvider>(DomainClock.Key);
            var skew = o.TokenValidationParameters.ClockSkew;
            o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, token, _) =>
                LifetimeProblem(notBefore, expires, (token as JsonWebToken)?.IssuedAt, clock.GetUtcNow().UtcDateTime, skew, max) is { } problem
                    ? throw new SecurityTokenInvalidLifetimeException(problem) { NotBefore = notBefore, Expires = expires }
                    : true;
        });

    /// <summary>Why a token's lifetime is refused, or null: it must expire, have started, not have ended, and last at most <paramref name="max"/>.</summary>
    public static string? LifetimeProblem(DateTime? notBefore, DateTime? expires, DateTime? issuedAt, DateTime now, TimeSpan skew, TimeSpan max)
    {
        if (expires is null) return "The token has no expiry (exp).";
        if (notBefore is { } nbf && nbf > now + skew) return "The token is not valid yet.";
        if (expires.Value <= now - skew) return "The token has expired.";
        // The longest span the token claims, from the earlier of iat and nbf; without either, from now.
        var start = now;
        if (issuedAt is { } iat && iat != DateTime.MinValue && iat < start) start = iat;
        if (notBefore is { } n && n < start) start = n;
        if (expires.Value - start > max || expires.Value - now > max + skew) return $"The token lives longer than the allowed {max.TotalMinutes:0} minutes.";
        return null;
    }

    /// <summary>Why a validated token's identity is refused, or null.</summary>
    public static string? IdentityProblem(ClaimsPrincipal principal, SystemSubjects systemSubjects)
    {
        var subjects = principal.FindAll("sub").Select(c => c.Value).ToList();
        if (subjects.Count != 1 || Ids.Problem(subjects[0]) is not null) return "The token needs exactly one subject (sub) that is a valid id.";
        if (systemSubjects.Contains(subjects[0])) return $"The subject '{subjects[0]}' is a system party and cannot be a user.";
        var roles = principal.FindAll("role").Select(c => c.Value).ToList();
        if (roles.Count != 1 || !Roles.All.Contains(roles[0])) return $"The token needs exactly one role, one of {string.Join(", ", Roles.All)}.";
        return null;
    }
}

/// <summary>
/// Party ids that belong to the system, not to a user: the platform's settlement account (<c>LiveCommerce:Splits:PlatformAccountId</c>
/// and the default <c>platform</c>). No token may carry them as its subject, so no user passes their ownership checks.
/// </summary>
public sealed class SystemSubjects(IEnumerable<string> ids)
{
    private readonly HashSet<string> _ids = new(ids, StringComparer.OrdinalIgnoreCase);

    public bool Contains(string subject) => _ids.Contains(subject);

    public IReadOnlyCollection<string> All => _ids;

    public static SystemSubjects From(IConfiguration configuration)
    {
        var policy = configuration.GetSection(SplitPolicy.Section).Get<SplitPolicy>() ?? new SplitPolicy();
        return new SystemSubjects([new SplitPolicy().PlatformAccountId, policy.PlatformAccountId]);
    }
}
